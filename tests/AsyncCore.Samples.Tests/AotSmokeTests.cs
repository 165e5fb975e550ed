using System.Diagnostics;
using System.Reflection;

namespace AsyncCore.Samples.Tests;

/// <summary>
/// The core is AOT-compatible (<c>IsAotCompatible</c>, zero trimming or AOT warnings): eng/aot-smoke, a Deferred chain,
/// a timer and a TCP echo, is published as a native executable with those warnings as errors, and runs.
/// </summary>
public sealed class AotSmokeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task NativeAotSmokeProgram_PublishesWithoutWarnings_AndRuns()
    {
        // Native AOT links with clang; eng/services.sh installs it (and zlib1g-dev) in CI.
        if (!File.Exists("/usr/bin/clang"))
        {
            const string reason = "clang is not installed: native AOT cannot link here (`bash eng/services.sh install` installs it).";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(reason + " CI must run this test.");
            }
            Assert.Skip(reason);
        }
        var root = typeof(AotSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
        var output = Directory.CreateTempSubdirectory("asynccore-aot-");
        try
        {
            var publish = await Run("dotnet", ["publish", Path.Combine(root, "eng", "aot-smoke", "AotSmoke.csproj"), "-c", "Release", "-r", "linux-x64", "-o", output.FullName, "-nologo", "-v:q"], root);
            Assert.DoesNotContain("warning", publish, StringComparison.OrdinalIgnoreCase);

            var run = await Run(Path.Combine(output.FullName, "AotSmoke"), [], output.FullName);

            Assert.Contains("chain: value 42", run, StringComparison.Ordinal);
            Assert.Contains("echo: ping", run, StringComparison.Ordinal);
            Assert.Contains("aot ok", run, StringComparison.Ordinal);
        }
        finally
        {
            output.Delete(recursive: true);
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
            Assert.Fail($"{file} did not finish within {Patience}.");
        }
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{output}");
        return output;
    }
}
