using System.Text.RegularExpressions;

namespace AsyncCore.Docs.Tests;

/// <summary>
/// The documentation's snippets are compiled into this assembly by the project's ExtractSnippets target; these tests
/// check that the extraction kept every one of them, so a snippet cannot drop out of the build unnoticed.
/// </summary>
public sealed partial class SnippetTests
{
    [Fact]
    public void EverySnippetInTheDocsIsCompiledOrMarkedAsAFragment()
    {
        var root = RepositoryRoot();
        var files = new[] { Path.Combine(root, "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md"))
            .Concat(Directory.GetDirectories(Path.Combine(root, "src")).Select(d => Path.Combine(d, "README.md")).Where(File.Exists));
        var expected = new List<string>();
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            var index = 0;
            foreach (var line in File.ReadLines(file))
            {
                if (Fence().IsMatch(line))
                {
                    index++;
                    expected.Add($"{relative}#{index}{(line.Contains("fragment", StringComparison.Ordinal) ? " fragment" : "")}");
                }
            }
        }

        var found = Snippets.Manifest.All.Select(e => e.EndsWith(" fragment", StringComparison.Ordinal) ? e : e[..e.LastIndexOf(' ')]);
        Assert.Equal(expected.Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
        Assert.NotEmpty(expected);
    }

    [Fact]
    public void EveryCompiledSnippetIsATypeInThisAssembly()
    {
        var namespaces = typeof(SnippetTests).Assembly.GetTypes().Select(t => t.Namespace).ToHashSet();

        foreach (var entry in Snippets.Manifest.All.Where(e => !e.EndsWith(" fragment", StringComparison.Ordinal)))
        {
            Assert.Contains("Snippets." + entry[(entry.LastIndexOf(' ') + 1)..], namespaces);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "AsyncCore.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("AsyncCore.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\s*```csharp")]
    private static partial Regex Fence();
}
