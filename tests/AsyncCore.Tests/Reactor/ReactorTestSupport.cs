using AsyncCore.Reactor;
using AsyncCore.Reactors;

namespace AsyncCore.Tests.Reactor;

/// <summary>Helpers for tests that need a real reactor on a real thread.</summary>
internal static class ReactorTestSupport
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>A reactor whose log lines are kept in <paramref name="logs"/>.</summary>
    public static EventLoopReactor Create(out LogCapture logs, TimeSpan? stallThreshold = null)
    {
        logs = new LogCapture();
        return new EventLoopReactor(new ReactorOptions
        {
            LoggerFactory = logs,
            StallThreshold = stallThreshold ?? Timeout.InfiniteTimeSpan,
        });
    }

    /// <summary>Runs the reactor on the test thread, with a safety net that stops it after <see cref="Patience"/>.</summary>
    public static void RunWithSafetyNet(this ReactorBase reactor)
    {
        var timedOut = false;
        reactor.CallWhenRunning(() => reactor.CallLater(Patience, () =>
        {
            timedOut = true;
            reactor.StopIfRunning();
        }));
        reactor.Run();
        Assert.False(timedOut, "The reactor was stopped by the safety net: the test never stopped it.");
    }

    /// <summary>Runs <paramref name="function"/> on the reactor thread and waits for its result.</summary>
    public static T OnReactor<T>(this ReactorBase reactor, Func<T> function)
    {
        var source = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        reactor.CallFromThread(() =>
        {
            try
            {
                source.SetResult(function());
            }
            catch (Exception ex)
            {
                source.SetException(ex);
            }
        });
        Assert.True(source.Task.Wait(Patience), "The reactor did not run the call in time.");
        return source.Task.Result;
    }

    public static void WaitOrFail(this ManualResetEventSlim signal, string what) =>
        Assert.True(signal.Wait(Patience), "Timed out waiting for " + what);

    public static void WaitOrFail(this Task task, string what) =>
        Assert.True(task.Wait(Patience), "Timed out waiting for " + what);
}
