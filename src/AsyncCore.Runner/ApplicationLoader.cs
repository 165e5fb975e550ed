using System.Reflection;
using System.Runtime.Loader;
using AsyncCore.Application;

namespace AsyncCore.Runner;

/// <summary>The application could not be loaded; the message is one line for the user.</summary>
internal sealed class ApplicationLoadException(string message) : Exception(message);

/// <summary>
/// Finds and instantiates the <see cref="IApplicationFactory"/> named by <c>--app PATH[:Type]</c>: the assembly loads in
/// a context of its own whose dependencies come from the application's <c>.deps.json</c> (through
/// <see cref="AssemblyDependencyResolver"/>), except the assemblies the runner itself carries (AsyncCore among them),
/// which are shared so that <see cref="IApplicationFactory"/> is the same type on both sides.
/// </summary>
internal static class ApplicationLoader
{
    public static (string Path, string? TypeName) ParseSpec(string spec)
    {
        // The last ':' separates a type name, unless what follows it is part of a path (C:\app.dll, ./a:b/app.dll).
        var colon = spec.LastIndexOf(':');
        if (colon > 1 && spec.IndexOfAny(['/', '\\'], colon) < 0)
        {
            return (spec[..colon], spec[(colon + 1)..]);
        }
        return (spec, null);
    }

    public static IApplicationFactory Load(string spec)
    {
        var (path, typeName) = ParseSpec(spec);
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new ApplicationLoadException($"application assembly not found: {path}");
        }
        Assembly assembly;
        try
        {
            assembly = new ApplicationLoadContext(fullPath).LoadFromAssemblyPath(fullPath);
        }
        catch (BadImageFormatException)
        {
            throw new ApplicationLoadException($"not a .NET assembly: {path}");
        }
        var type = typeName is null ? FindFactory(assembly, path) : FindNamed(assembly, typeName, path);
        if (!typeof(IApplicationFactory).IsAssignableFrom(type))
        {
            throw new ApplicationLoadException($"{type.FullName} does not implement {nameof(IApplicationFactory)}");
        }
        try
        {
            return (IApplicationFactory)Activator.CreateInstance(type)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            throw new ApplicationLoadException($"{type.FullName}'s constructor threw {inner.GetType().Name}: {OneLine(inner.Message)}");
        }
        catch (MissingMethodException)
        {
            throw new ApplicationLoadException($"{type.FullName} has no public parameterless constructor");
        }
    }

    public static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static Type FindNamed(Assembly assembly, string typeName, string path)
    {
        var type = assembly.GetType(typeName, throwOnError: false)
            ?? ExportedTypes(assembly).SingleOrDefault(t => t.Name == typeName);
        return type ?? throw new ApplicationLoadException($"type not found in {path}: {typeName}");
    }

    private static Type FindFactory(Assembly assembly, string path)
    {
        var candidates = ExportedTypes(assembly)
            .Where(t => typeof(IApplicationFactory).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .ToList();
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new ApplicationLoadException($"no public type implementing {nameof(IApplicationFactory)} in {path}; name one with --app {path}:Type"),
            _ => throw new ApplicationLoadException(
                $"several types implement {nameof(IApplicationFactory)} in {path} ({string.Join(", ", candidates.Select(t => t.FullName))}); name one with --app {path}:Type"),
        };
    }

    private static IEnumerable<Type> ExportedTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetExportedTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>().Where(t => t.IsPublic);
        }
        catch (FileNotFoundException e)
        {
            throw new ApplicationLoadException($"a dependency of {assembly.GetName().Name} is missing: {e.FileName}");
        }
    }

    /// <summary>The application's own load context; see the class remarks.</summary>
    private sealed class ApplicationLoadContext(string mainAssembly) : AssemblyLoadContext("asynccore application", isCollectible: false)
    {
        private readonly AssemblyDependencyResolver _resolver = new(mainAssembly);

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (IsCarriedByTheRunner(assemblyName))
            {
                return null;
            }
            return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;

        private static bool IsCarriedByTheRunner(AssemblyName name) =>
            name.Name is { } simple && File.Exists(System.IO.Path.Combine(AppContext.BaseDirectory, simple + ".dll"));
    }
}
