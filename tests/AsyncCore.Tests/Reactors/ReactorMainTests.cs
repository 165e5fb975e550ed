using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Tasks;
using AsyncCore.Tests.Reactor;

namespace AsyncCore.Tests.Reactors;

/// <summary>From Twisted's test_task.py (ReactTests).</summary>
public class ReactorMainTests
{
    [Fact]
    public void React_MainSucceedsLater_ExitCodeZeroAndReactorStopped()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var code = ReactorMain.React(r => r.DeferLater(TimeSpan.FromMilliseconds(5)), reactor);
        Assert.Equal(0, code);
        Assert.True(reactor.Stopping);
    }

    [Fact]
    public void React_MainSucceedsSynchronously_ExitCodeZero()
    {
        var reactor = ReactorTestSupport.Create(out _);
        Assert.Equal(0, ReactorMain.React(_ => Deferred.Succeed("done"), reactor));
    }

    [Fact]
    public void React_MainFails_ExitCodeOne()
    {
        var reactor = ReactorTestSupport.Create(out _);
        Assert.Equal(1, ReactorMain.React(r => r.DeferLater(TimeSpan.Zero, int () => throw new IOException()), reactor));
    }

    [Fact]
    public void React_MainThrowsSynchronously_ExitCodeOne()
    {
        var reactor = ReactorTestSupport.Create(out _);
        Assert.Equal(1, ReactorMain.React(Deferred (_) => throw new FormatException(), reactor));
    }

    [Fact]
    public void React_AsyncMainReturningCode_UsesItAsExitCode()
    {
        var reactor = ReactorTestSupport.Create(out _);
        static async Deferred<int> Main(EventLoopReactor r)
        {
            await r.DeferLater(TimeSpan.FromMilliseconds(1));
            await Task.Yield();
            return r.IsReactorThread ? 7 : 99;
        }
        Assert.Equal(7, ReactorMain.React(Main, reactor));
    }

    [Fact]
    public void React_ReactorStoppedBeforeMainFinishes_DoesNotStopTwice()
    {
        var reactor = ReactorTestSupport.Create(out var logs);
        var never = new Deferred<int>();
        var code = ReactorMain.React(r =>
        {
            r.CallLater(TimeSpan.Zero, r.Stop);
            r.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => never.Callback(0));
            return never;
        }, reactor);
        Assert.Equal(0, code);
        Assert.DoesNotContain(logs.Entries, e => e.Exception is ReactorNotRunningException);
    }
}
