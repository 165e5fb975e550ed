using System.Text.RegularExpressions;
using AsyncCore.Reactor;

namespace AsyncCore.Tests.Architecture;

/// <summary>
/// The layering of the core assembly, checked on its compiled metadata (signatures and IL), and namespaces following
/// folders, checked on the sources. See docs/architecture.md for the layers and the reasons.
/// </summary>
public sealed partial class LayeringTests
{
    /// <summary>
    /// The namespaces from the bottom up. A namespace may use its own rank and lower ones, never a higher one. The coarse
    /// layers are: Deferreds (root) → reactor (Reactor, then Tasks) → networking (Protocols ... PortForward) → the
    /// concrete reactors (Reactors) → the service tree (Application). A new namespace must be placed here.
    /// </summary>
    private static readonly string[][] s_ranks =
    [
        ["AsyncCore"],
        ["AsyncCore.Reactor"],
        ["AsyncCore.Tasks"],
        ["AsyncCore.Protocols"],
        ["AsyncCore.Transports"],
        ["AsyncCore.Transports.Epoll"],
        ["AsyncCore.Endpoints", "AsyncCore.InMemory"],
        ["AsyncCore.Protocols.PortForward"],
        ["AsyncCore.Reactors"],
        ["AsyncCore.Application"],
    ];

    private static readonly Lazy<NamespaceDependencies> s_core =
        new(() => NamespaceDependencies.Read(typeof(Deferred).Assembly.Location, "AsyncCore"));

    [Fact]
    public void EveryNamespace_HasARank()
    {
        var ranked = s_ranks.SelectMany(r => r).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(s_core.Value.Namespaces, ns => !ranked.Contains(ns));
    }

    [Fact]
    public void NoNamespace_UsesAHigherLayer()
    {
        var violations = new List<string>();
        foreach (var (from, targets) in s_core.Value.Edges)
        {
            foreach (var (to, example) in targets)
            {
                if (Rank(to) > Rank(from))
                {
                    violations.Add($"{from} uses {to} (higher): {example}");
                }
            }
        }
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void NamespaceGraph_HasNoCycle()
    {
        var cycle = FindCycle(s_core.Value.Edges.ToDictionary(e => e.Key, e => (IEnumerable<string>)e.Value.Keys));
        Assert.True(cycle is null, "Namespace cycle: " + (cycle is null ? "" : string.Join(" -> ", cycle)));
    }

    [Fact]
    public void Graph_SeesReferencesMadeOnlyInMethodBodies()
    {
        // The samples name each other only inside method bodies (IL), never in a signature.
        var graph = NamespaceDependencies.Read(typeof(LayeringTests).Assembly.Location, "AsyncCore.Tests.Architecture.Samples");
        Assert.Equal(["AsyncCore.Tests.Architecture.Samples.Low"], graph.Edges["AsyncCore.Tests.Architecture.Samples.High"].Keys);
        Assert.Equal(["AsyncCore.Tests.Architecture.Samples.Low"], graph.Edges["AsyncCore.Tests.Architecture.Samples.Middle"].Keys);
        Assert.False(graph.Edges.ContainsKey("AsyncCore.Tests.Architecture.Samples.Low"));
    }

    [Fact]
    public void FindCycle_OnACycle_ReportsIt()
    {
        // The cycle check itself, on the cycles this layering removed (Reactor <-> Transports through ReactorBase's
        // networking partial, Reactor <-> Threads).
        var graph = new Dictionary<string, IEnumerable<string>>
        {
            ["AsyncCore.Reactor"] = ["AsyncCore", "AsyncCore.Threads"],
            ["AsyncCore.Threads"] = ["AsyncCore.Transports"],
            ["AsyncCore.Transports"] = ["AsyncCore.Reactor"],
        };
        var cycle = FindCycle(graph);
        Assert.NotNull(cycle);
        Assert.Equal(cycle[0], cycle[^1]);
        Assert.Equal(["AsyncCore.Reactor", "AsyncCore.Threads", "AsyncCore.Transports"], cycle.Distinct().Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("src/AsyncCore")]
    [InlineData("src/AsyncCore.Enterprise")]
    [InlineData("src/AsyncCore.Hosting")]
    [InlineData("src/AsyncCore.Mail")]
    [InlineData("src/AsyncCore.Redis")]
    [InlineData("src/AsyncCore.Runner")]
    [InlineData("src/AsyncCore.Testing")]
    // The xunit adapters put their types beside the framework-neutral ones (see docs/testing.md).
    [InlineData("src/AsyncCore.Testing.Xunit", "AsyncCore.Testing")]
    [InlineData("src/AsyncCore.Testing.Xunit.V2", "AsyncCore.Testing")]
    [InlineData("src/AsyncCore.Web")]
    [InlineData("src/AsyncCore.WebSockets")]
    public void Namespaces_FollowFolders(string project, string? rootNamespace = null)
    {
        var root = Path.Combine(RepositoryRoot(), project);
        var projectNamespace = rootNamespace ?? Path.GetFileName(root);
        var mismatches = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj")
            {
                continue;
            }
            var folder = Path.GetDirectoryName(relative)!;
            var expected = folder.Length == 0 ? projectNamespace : projectNamespace + "." + folder.Replace(Path.DirectorySeparatorChar, '.');
            foreach (Match match in NamespaceLine().Matches(File.ReadAllText(file)))
            {
                if (match.Groups[1].Value != expected)
                {
                    mismatches.Add($"{relative}: namespace {match.Groups[1].Value}, folder says {expected}");
                }
            }
        }
        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    [Fact]
    public void Core_NeverKnowsEnterprise()
    {
        // AsyncCore.Enterprise is built on the core; the core must not reference it, by assembly or by project.
        Assert.DoesNotContain(typeof(Deferred).Assembly.GetReferencedAssemblies(), a => a.Name!.StartsWith("AsyncCore.", StringComparison.Ordinal));
        var project = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "AsyncCore", "AsyncCore.csproj"));
        Assert.DoesNotContain("AsyncCore.Enterprise", project, StringComparison.Ordinal);
        Assert.DoesNotContain(s_core.Value.Namespaces, ns => ns.StartsWith("AsyncCore.Enterprise", StringComparison.Ordinal));
    }

    [Fact]
    public void Shipped_NeverUseTheTestingPackage()
    {
        // AsyncCore.Testing is for tests only: no shipped assembly but its own xunit adapters may depend on it (and so on xunit).
        var src = Path.Combine(RepositoryRoot(), "src");
        var users = Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !Path.GetFileName(p).StartsWith("AsyncCore.Testing", StringComparison.Ordinal))
            .Where(p => File.ReadAllText(p).Contains("AsyncCore.Testing", StringComparison.Ordinal))
            .ToArray();
        Assert.Empty(users);
        Assert.DoesNotContain(typeof(Deferred).Assembly.GetReferencedAssemblies(), a => a.Name == "AsyncCore.Testing");
    }

    [Fact]
    public void ReactorLayer_DoesNotReachNetworking()
    {
        // The reactor interfaces the rest of the stack is written against: none of them names a networking type.
        foreach (var type in new[] { typeof(IReactor), typeof(IReactorCore), typeof(IReactorThreads), typeof(IReactorTime) })
        {
            Assert.True(Rank(type.Namespace!) <= Rank("AsyncCore.Tasks"), type.FullName);
        }
    }

    private static int Rank(string ns) => Array.FindIndex(s_ranks, rank => rank.Contains(ns, StringComparer.Ordinal)) is var i and >= 0
        ? i
        : throw new InvalidOperationException($"Namespace {ns} has no rank in LayeringTests.");

    /// <summary>A cycle as a path that starts and ends at the same namespace, or null.</summary>
    internal static List<string>? FindCycle(Dictionary<string, IEnumerable<string>> graph)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1: on the path, 2: done
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.GetValueOrDefault(node) ?? [])
            {
                var seen = state.GetValueOrDefault(next);
                if (seen == 1)
                {
                    return [.. path[path.IndexOf(next)..], next];
                }
                if (seen == 0 && Visit(next) is { } found)
                {
                    return found;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle)
            {
                return cycle;
            }
        }
        return null;
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AsyncCore.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("AsyncCore.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*[;{]", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();
}
