using System.Diagnostics;

namespace AsyncCore.Web.Tests;

/// <summary>Runs the curl command-line client (a real HTTP peer) off the reactor thread.</summary>
internal static class Curl
{
    public const string Path = "/usr/bin/curl";

    public static bool Installed => File.Exists(Path);

    public static async Task<(int ExitCode, string Output)> Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var curl = Process.Start(start)!;
        var output = curl.StandardOutput.ReadToEndAsync();
        var error = curl.StandardError.ReadToEndAsync();
        await curl.WaitForExitAsync().ConfigureAwait(false);
        return (curl.ExitCode, await output.ConfigureAwait(false) + await error.ConfigureAwait(false));
    }
}
