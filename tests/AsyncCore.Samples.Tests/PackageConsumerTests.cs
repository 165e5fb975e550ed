using System.Diagnostics;
using System.Globalization;
using System.Reflection;

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
        var root = Metadata("RepositoryRoot");
        var configuration = Metadata("Configuration");
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
                await Run("dotnet", ["pack", project, "-c", configuration, "--no-build", "-o", feed, "-nologo", "-v:q", $"-p:PackageVersion={version}"], root);
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
            await Run("dotnet", ["build", "-c", "Release", "-nologo", "-v:q", $"-p:AsyncCoreVersion={version}"], app);
            var output = await Run("dotnet", [Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll")], app);

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

    private static async Task<string> Run(string file, string[] args, string directory)
    {
        var info = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The repository's own build must not leak into the app's: no inherited MSBuild settings.
        info.Environment.Remove("MSBuildExtensionsPath");
        info.Environment.Remove("MSBUILD_EXE_PATH");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish within {Patience}.");
        }
        var output = await stdout;
        Assert.True(process.ExitCode == 0,
            $"{file} {string.Join(' ', args)} exited with {process.ExitCode.ToString(CultureInfo.InvariantCulture)}:\n{output}\n{await stderr}");
        return output;
    }

    private static string Metadata(string key) =>
        typeof(PackageConsumerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
