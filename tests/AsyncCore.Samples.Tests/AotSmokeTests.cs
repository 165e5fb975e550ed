using AsyncCore.Tests.Shared;

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
            MissingPeer.SkipOrFail(reason);
        }
        var root = SampleRun.RepositoryRoot;
        var output = Directory.CreateTempSubdirectory("asynccore-aot-");
        try
        {
            var publish = await ProcessRun.Run("dotnet", ["publish", Path.Combine(root, "eng", "aot-smoke", "AotSmoke.csproj"), "-c", "Release", "-r", "linux-x64", "-o", output.FullName, "-nologo", "-v:q"], root, Patience);
            Assert.DoesNotContain("warning", publish, StringComparison.OrdinalIgnoreCase);

            var run = await ProcessRun.Run(Path.Combine(output.FullName, "AotSmoke"), [], output.FullName, Patience);

            Assert.Contains("chain: value 42", run, StringComparison.Ordinal);
            Assert.Contains("echo: ping", run, StringComparison.Ordinal);
            Assert.Contains("aot ok", run, StringComparison.Ordinal);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
