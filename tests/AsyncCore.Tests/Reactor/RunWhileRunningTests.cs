using AsyncCore.Reactors;
using AsyncCore.Reactor;

namespace AsyncCore.Tests.Reactor;

/// <summary>
/// A refused <c>Run()</c> (the reactor is already running) must leave the running reactor untouched: its
/// <c>Stop()</c> works, its shutdown triggers run and its loop ends normally (Twisted's <c>ReactorAlreadyRunning</c>
/// is raised before any state changes).
/// </summary>
public class RunWhileRunningTests
{
    public static TheoryData<string> Reactors => OperatingSystem.IsLinux() ? ["eventloop", "epoll"] : ["eventloop"];

    private static ReactorBase Create(string kind, out LogCapture logs)
    {
        logs = new LogCapture();
        var options = new ReactorOptions { LoggerFactory = logs, StallThreshold = Timeout.InfiniteTimeSpan };
        return kind == "epoll" && OperatingSystem.IsLinux() ? new EpollReactor(options) : new EventLoopReactor(options);
    }

    [Theory]
    [MemberData(nameof(Reactors))]
    public void Run_FromTheReactorThreadWhileRunning_ThrowsAndTheRunGoesOnToANormalShutdown(string kind)
    {
        var reactor = Create(kind, out var logs);
        var events = new List<string>();
        Exception? runError = null;
        Exception? stopError = null;
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => events.Add("before shutdown"));
        reactor.AddSystemEventTrigger(SystemEventPhase.After, SystemEvents.Shutdown, () => events.Add("after shutdown"));
        reactor.CallWhenRunning(() =>
        {
            runError = Record.Exception(reactor.Run);
            events.Add("running " + reactor.Running);
            // A later pass, as a program would: the failed Run must not have ended the loop meanwhile.
            reactor.CallLater(TimeSpan.Zero, () =>
            {
                events.Add("still running " + reactor.Running);
                stopError = Record.Exception(reactor.Stop);
            });
        });
        reactor.RunWithSafetyNet();
        Assert.IsType<ReactorAlreadyRunningException>(runError);
        Assert.Null(stopError);
        Assert.Equal(["running True", "still running True", "before shutdown", "after shutdown"], events);
        Assert.DoesNotContain(logs.Entries, e => e.Exception is not null);
        Assert.Throws<ReactorNotRestartableException>(reactor.Run);
        (reactor as IDisposable)?.Dispose();
    }

    [Theory]
    [MemberData(nameof(Reactors))]
    public void Run_FromAnotherThreadWhileRunning_ThrowsAndLeavesTheReactorRunning(string kind)
    {
        var reactor = Create(kind, out _);
        var shutdown = new ManualResetEventSlim();
        reactor.AddSystemEventTrigger(SystemEventPhase.After, SystemEvents.Shutdown, shutdown.Set);
        var running = new ManualResetEventSlim();
        reactor.CallWhenRunning(running.Set);
        var loop = new Thread(reactor.Run) { IsBackground = true };
        loop.Start();
        running.WaitOrFail("the reactor to run");

        Assert.Throws<ReactorAlreadyRunningException>(reactor.Run);

        Assert.True(reactor.OnReactor(() => reactor.Running));
        reactor.Stop();
        shutdown.WaitOrFail("the shutdown triggers");
        Assert.True(loop.Join(ReactorTestSupport.Patience));
        Assert.False(reactor.Running);
        (reactor as IDisposable)?.Dispose();
    }

    [Fact]
    public void Run_AfterCrashAndARefusedRun_StartsAgain()
    {
        // The refused Run must not mark the reactor as stopped before: a crashed reactor may still run again.
        var reactor = ReactorTestSupport.Create(out _);
        Exception? runError = null;
        reactor.CallWhenRunning(() =>
        {
            runError = Record.Exception(reactor.Run);
            reactor.Crash();
        });
        reactor.RunWithSafetyNet();
        Assert.IsType<ReactorAlreadyRunningException>(runError);
        var ranAgain = false;
        reactor.CallWhenRunning(() =>
        {
            ranAgain = reactor.Running;
            reactor.Stop();
        });
        reactor.RunWithSafetyNet();
        Assert.True(ranAgain);
    }
}
