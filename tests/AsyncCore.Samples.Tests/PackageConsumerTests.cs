namespace AsyncCore.Samples.Tests;

/// <summary>
/// The packages an app consumes: every shipped src project packs, and a separate program (eng/consumer, copied out of
/// the repository so none of its build settings apply) builds against the packages alone, with a strict user's
/// settings, and runs.
/// </summary>
public sealed class PackageConsumerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(8);

    [Fact]
    public async Task EveryPackagePacks_AndASeparateAppBuildsAndRunsAgainstThemAlone()
    {
        var root = SampleRun.RepositoryRoot;
        var configuration = SampleRun.Configuration;
        var work = Directory.CreateTempSubdirectory("asynccore-consumer-");
        try
        {
            // A version of its own, so that a package cached by an earlier run can never stand in for this build's.
            var version = $"0.1.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
            var feed = Directory.CreateDirectory(Path.Combine(work.FullName, "feed")).FullName;
            var projects = Directory.GetDirectories(Path.Combine(root, "src"))
                .Select(dir => Path.Combine(dir, Path.GetFileName(dir) + ".csproj"))
                .Where(File.Exists)
                .Order(StringComparer.Ordinal)
                .ToList();
            Assert.NotEmpty(projects);
            foreach (var project in projects)
            {
                await ProcessRun.Run("dotnet", ["pack", project, "-c", configuration, "--no-build", "-o", feed, "-nologo", "-v:q", $"-p:PackageVersion={version}"], root, Patience);
            }
            foreach (var project in projects)
            {
                var id = Path.GetFileNameWithoutExtension(project);
                Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.nupkg")), $"{id} did not produce a package");
                Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.snupkg")), $"{id} did not produce a symbol package");
            }

            var app = Directory.CreateDirectory(Path.Combine(work.FullName, "app")).FullName;
            foreach (var file in new[] { "Consumer.csproj", "Program.cs" })
            {
                File.Copy(Path.Combine(root, "eng", "consumer", file), Path.Combine(app, file));
            }
            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                  <packageSourceMapping>
                    <packageSource key="local"><package pattern="AsyncCore" /><package pattern="AsyncCore.*" /></packageSource>
                    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
                  </packageSourceMapping>
                </configuration>
                """, TestContext.Current.CancellationToken);
            await ProcessRun.Run("dotnet", ["build", "-c", "Release", "-nologo", "-v:q", $"-p:AsyncCoreVersion={version}"], app, Patience);
            var output = await ProcessRun.Run("dotnet", [Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll")], app, Patience);

            Assert.Contains("chain: 19.99", output, StringComparison.Ordinal);
            Assert.Contains("echo: ping", output, StringComparison.Ordinal);
            Assert.Contains("http: HTTP/1.1 200 OK", output, StringComparison.Ordinal);
            Assert.Contains("consumer ok", output, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
