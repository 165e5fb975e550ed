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

    [Fact]
    public void React_MainFailsWithExitCodeException_ExitsWithItsCodeAndLogsNothing()
    {
        // Twisted's test_exitWithDefinedCode: main fails with SystemExit(23).
        var reactor = ReactorTestSupport.Create(out var logs);
        Assert.Equal(23, ReactorMain.React(_ => Deferred.Fail<object?>(new ExitCodeException(23)), reactor));
        Assert.DoesNotContain(logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public void React_AsyncMainThrowsExitCodeExceptionLater_ExitsWithItsCode()
    {
        var reactor = ReactorTestSupport.Create(out _);
        static async Deferred<int> Main(EventLoopReactor r)
        {
            await r.DeferLater(TimeSpan.FromMilliseconds(1));
            throw new ExitCodeException(3);
        }
        Assert.Equal(3, ReactorMain.React(Main, reactor));
    }

    [Fact]
    public void React_ReactorStoppedJustBeforeMainFires_DoesNotCallStopAgain()
    {
        // Twisted's test_synchronousStop: main's Deferred fires right after something stopped the reactor, before the
        // shutdown event began. A second Stop would raise ReactorNotRunning inside main's callback chain, where only the
        // garbage collector would report it.
        var reactor = ReactorTestSupport.Create(out var logs);
        var finished = new Deferred<int>();
        var code = ReactorMain.React(r =>
        {
            r.CallWhenRunning(() =>
            {
                r.Stop();
                finished.Callback(0);
            });
            return finished;
        }, reactor);
        Assert.Equal(0, code);
        Assert.IsNotType<Failure>(finished.CurrentResult);
        Assert.DoesNotContain(logs.Entries, e => e.Exception is ReactorNotRunningException);
    }

    [Fact]
    public void React_ReactorStoppedAndMainNeverFires_ExitCodeZero()
    {
        // Twisted's test_asynchronousStop.
        var reactor = ReactorTestSupport.Create(out _);
        var code = ReactorMain.React(r =>
        {
            r.CallLater(TimeSpan.FromMilliseconds(1), r.Stop);
            return new Deferred<object?>();
        }, reactor);
        Assert.Equal(0, code);
    }

    [Fact]
    public void React_MainFailsDuringAShutdownSomethingElseStarted_ExitCodeOne()
    {
        // Twisted's test_singleStopErrback.
        var reactor = ReactorTestSupport.Create(out var logs);
        var code = ReactorMain.React(r =>
        {
            var finished = new Deferred<object?>();
            r.CallLater(TimeSpan.Zero, r.Stop);
            r.AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Shutdown, () => finished.Errback(new InvalidDataException()));
            return finished;
        }, reactor);
        Assert.Equal(1, code);
        Assert.Contains(logs.Entries, e => e.Exception is InvalidDataException);
        Assert.DoesNotContain(logs.Entries, e => e.Exception is ReactorNotRunningException);
    }

    [Fact]
    public void React_EpollReactor_RunsMainOnItAndStopsIt()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "EpollReactor needs Linux.");
        if (OperatingSystem.IsLinux())
        {
            using var reactor = new EpollReactor(new ReactorOptions { LoggerFactory = new LogCapture() });
            EpollReactor? given = null;
            var code = ReactorMain.React(r =>
            {
                given = r;
                return r.DeferLater(TimeSpan.FromMilliseconds(1), () => r.IsReactorThread ? 5 : 99);
            }, reactor);
            Assert.Equal(5, code);
            Assert.Same(reactor, given);
            Assert.True(reactor.Stopping);
        }
    }
}
