using System.Diagnostics;
using System.Globalization;

namespace AsyncCore.Samples.Tests;

/// <summary>Runs a command to its end (dotnet pack, build, publish, a built program) and returns what it printed.</summary>
internal static class ProcessRun
{
    /// <summary>
    /// Runs <paramref name="file"/> in <paramref name="directory"/>; fails the test if it exits non-zero or outlives
    /// <paramref name="patience"/>. Returns standard output followed by standard error.
    /// </summary>
    public static async Task<string> Run(string file, string[] args, string directory, TimeSpan patience)
    {
        var info = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The test's own build must not leak into the command's: no inherited MSBuild settings.
        info.Environment.Remove("MSBuildExtensionsPath");
        info.Environment.Remove("MSBUILD_EXE_PATH");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish within {patience}.");
        }
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0,
            $"{file} {string.Join(' ', args)} exited with {process.ExitCode.ToString(CultureInfo.InvariantCulture)}:\n{output}");
        return output;
    }
}
