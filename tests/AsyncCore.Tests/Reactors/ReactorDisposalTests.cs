using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Tests.Reactor;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Reactors;

/// <summary>Disposing a reactor, running or not: stop first, free once the loop has ended, never under it.</summary>
public sealed class ReactorDisposalTests
{
    public static TheoryData<string> Kinds => OperatingSystem.IsLinux() ? ["EventLoop", "Epoll"] : ["EventLoop"];

    private static NetworkReactorBase Create(string kind)
    {
        var options = new ReactorOptions { LoggerFactory = new LogCapture() };
        return kind == "Epoll" && OperatingSystem.IsLinux() ? new EpollReactor(options) : new EventLoopReactor(options);
    }

    /// <summary>Runs <paramref name="reactor"/> on a thread of its own; the task ends with Run (faulted if Run threw).</summary>
    private static Task RunOnThread(ReactorBase reactor, out Func<bool> shutdownRan)
    {
        var started = new ManualResetEventSlim();
        var ran = 0;
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => Volatile.Write(ref ran, 1));
        reactor.CallWhenRunning(started.Set);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                reactor.Run();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }) { IsBackground = true }.Start();
        started.WaitOrFail("startup");
        shutdownRan = () => Volatile.Read(ref ran) == 1;
        return done.Task;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Dispose_RunningOnAnotherThread_StopsWaitsForShutdownThenFrees(string kind)
    {
        var reactor = Create(kind);
        var run = RunOnThread(reactor, out var shutdownRan);
        ((IDisposable)reactor).Dispose();
        Assert.True(shutdownRan(), "Dispose returned before the shutdown triggers ran");
        run.WaitOrFail("Run to return");
        Assert.True(run.IsCompletedSuccessfully, run.Exception?.ToString());
        Assert.False(reactor.Running);
        Assert.Throws<ObjectDisposedException>(reactor.Run);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task DisposeAsync_RunningOnAnotherThread_CompletesAfterShutdown(string kind)
    {
        var reactor = Create(kind);
        var run = RunOnThread(reactor, out var shutdownRan);
        await ((IAsyncDisposable)reactor).DisposeAsync();
        Assert.True(shutdownRan(), "DisposeAsync completed before the shutdown triggers ran");
        await run.WaitAsync(ReactorTestSupport.Patience, TestContext.Current.CancellationToken);
        Assert.Throws<ObjectDisposedException>(reactor.Run);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Dispose_OnTheReactorThread_StopsAndFreesWhenTheLoopEnds(string kind)
    {
        var reactor = Create(kind);
        var timersAfterDispose = -1;
        reactor.CallWhenRunning(() =>
        {
            ((IDisposable)reactor).Dispose();
            // The loop goes on until the shutdown ends it: timers still work in this pass.
            reactor.CallLater(TimeSpan.Zero, () => { });
            timersAfterDispose = reactor.PendingTimerCount;
        });
        reactor.RunWithSafetyNet();
        Assert.True(timersAfterDispose >= 1);
        Assert.Throws<ObjectDisposedException>(reactor.Run);
    }

    [Fact]
    public async Task ReactorThread_DisposeAsync_StopsAndWaitsForRunToReturn()
    {
        var reactor = new EventLoopReactor(new ReactorOptions { LoggerFactory = new LogCapture() });
        var started = new ManualResetEventSlim();
        var shutdownRan = 0;
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => Volatile.Write(ref shutdownRan, 1));
        reactor.CallWhenRunning(started.Set);
        var running = reactor.RunInBackground();
        started.WaitOrFail("startup");
        await running.DisposeAsync();
        Assert.True(running.Completion.IsCompletedSuccessfully);
        Assert.Equal(1, Volatile.Read(ref shutdownRan));
        await reactor.DisposeAsync();
    }
}
