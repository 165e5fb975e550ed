using AsyncCore.Tests.Shared;
using AsyncCore.Reactor;
using System.Diagnostics;

namespace AsyncCore.Redis.Tests;

/// <summary>The Redis server the integration tests talk to (started by <c>bash eng/services.sh start</c>).</summary>
internal static class RedisServer
{
    /// <summary>
    /// The StackExchange.Redis configuration in ASYNCCORE_REDIS. Absent: the test skips with the reason, or fails under
    /// CI (a green CI must never hide integration tests that did not run).
    /// </summary>
    public static string Require()
    {
        var value = Environment.GetEnvironmentVariable("ASYNCCORE_REDIS");
        if (!string.IsNullOrWhiteSpace(value))
        {
            return value;
        }
        const string reason = "ASYNCCORE_REDIS is not set: no Redis server to test against (start one with `bash eng/services.sh start`).";
        MissingPeer.SkipOrFail(reason);
        return null!; // not reached: SkipOrFail throws
    }

    /// <summary>
    /// Lets the reactor run between slices of a long loop of commands issued from a test: issuing thousands of commands in
    /// one go would hold the reactor thread long enough for its stall warning.
    /// </summary>
    public static Deferred<object?> Breathe(IReactorTime reactor, int i) =>
        i % 250 == 249 ? reactor.DeferLater(TimeSpan.Zero) : Deferred.Succeed<object?>(null);

    /// <summary>A key of its own for one test, so that tests sharing the server never see each other's data.</summary>
    public static string Key(string stem) => $"asynccore-test:{stem}:{Guid.NewGuid():N}";

    /// <summary>The eng/services.sh that started the server; absent, the test skips (it cannot restart the server).</summary>
    public static string RequireScript()
    {
        var script = Environment.GetEnvironmentVariable("ASYNCCORE_SERVICES_SCRIPT");
        Assert.SkipWhen(string.IsNullOrEmpty(script), "ASYNCCORE_SERVICES_SCRIPT is not set: the server cannot be restarted by this test.");
        return script!;
    }

    /// <summary>Restarts the server through eng/services.sh (blocking: call it on a worker thread).</summary>
    public static void Restart(string script)
    {
        var start = new ProcessStartInfo("bash", [script, "restart-redis"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"services.sh restart-redis failed: {stderr.Result}");
        }
    }
}
