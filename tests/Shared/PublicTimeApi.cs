using System.Reflection;
using System.Text.RegularExpressions;

namespace AsyncCore.Tests.Shared;

/// <summary>
/// Guards the time vocabulary of a public API: durations and times are <see cref="TimeSpan"/>s, never double seconds.
/// Compiled into every test project that checks a shipped assembly (linked from tests/Shared).
/// </summary>
internal static partial class PublicTimeApi
{
    /// <summary>
    /// Public members of <paramref name="assembly"/> taking a double-like parameter named like a time or a duration, or
    /// returning one from a member named so. Allowed: <c>Seconds()</c> on <see cref="IReactorTime"/> and its implementations
    /// (Twisted's <c>seconds()</c>, a documented compatibility helper); ratios (factor, jitter) do not match the names.
    /// </summary>
    public static List<string> DoubleTimeMembers(Assembly assembly)
    {
        var found = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var method in type.GetMethods(flags).Cast<MethodBase>().Concat(type.GetConstructors(flags)))
            {
                var name = type.FullName!.Replace(type.Namespace + ".", "", StringComparison.Ordinal) + "." + method.Name;
                if (method is MethodInfo info && InvolvesDouble(info.ReturnType) && TimeLike().IsMatch(method.Name)
                    && !IsSecondsHelper(type, info))
                {
                    found.Add(name + "() returns double");
                }
                foreach (var parameter in method.GetParameters())
                {
                    if (InvolvesDouble(parameter.ParameterType) && TimeLike().IsMatch(parameter.Name ?? ""))
                    {
                        found.Add(name + "(" + parameter.Name + ")");
                    }
                }
            }
            foreach (var field in type.GetFields(flags))
            {
                if (InvolvesDouble(field.FieldType) && TimeLike().IsMatch(field.Name))
                {
                    found.Add(type.FullName + "." + field.Name);
                }
            }
        }
        return found;
    }

    private static bool IsSecondsHelper(Type type, MethodInfo method) =>
        method.Name == nameof(IReactorTime.Seconds) && method.GetParameters().Length == 0 && typeof(IReactorTime).IsAssignableFrom(type);

    private static bool InvolvesDouble(Type type) =>
        type == typeof(double) || type == typeof(float) || type == typeof(decimal)
        || (type.HasElementType && InvolvesDouble(type.GetElementType()!))
        || (type.IsGenericType && type.GetGenericArguments().Any(InvolvesDouble));

    [GeneratedRegex("second|delay|time|interval|timeout|duration|period|elapsed|lag|wait|now|backoff|until|after", RegexOptions.IgnoreCase)]
    private static partial Regex TimeLike();

}
