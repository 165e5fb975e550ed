using AsyncCore.Reactor;
using AsyncCore.Reactors;

namespace AsyncCore.Tests.Reactor;

/// <summary>From Twisted's internet/test/test_core.py (SystemEventTestsBuilder) and test_internet.py (ThreePhaseEventTests).</summary>
public class ReactorCoreTests
{
    [Fact]
    public void Run_ThenStop_RunReturnsAndRunningIsFalse()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var seenRunning = false;
        reactor.CallWhenRunning(() =>
        {
            seenRunning = reactor.Running;
            reactor.Stop();
        });
        reactor.RunWithSafetyNet();
        Assert.True(seenRunning);
        Assert.False(reactor.Running);
    }

    [Fact]
    public void Stop_WhenNotStarted_ThrowsReactorNotRunning()
    {
        var reactor = ReactorTestSupport.Create(out _);
        Assert.Throws<ReactorNotRunningException>(reactor.Stop);
    }

    [Fact]
    public void Stop_WhenAlreadyStopping_ThrowsReactorNotRunning()
    {
        var reactor = ReactorTestSupport.Create(out _);
        Exception? second = null;
        reactor.CallWhenRunning(() =>
        {
            reactor.Stop();
            second = Record.Exception(reactor.Stop);
        });
        reactor.RunWithSafetyNet();
        Assert.IsType<ReactorNotRunningException>(second);
        Assert.Throws<ReactorNotRunningException>(reactor.Stop);
    }

    [Fact]
    public void Run_AfterStop_ThrowsReactorNotRestartable()
    {
        var reactor = ReactorTestSupport.Create(out _);
        reactor.CallWhenRunning(reactor.Stop);
        reactor.RunWithSafetyNet();
        Assert.Throws<ReactorNotRestartableException>(reactor.Run);
    }

    [Fact]
    public void Run_WhileRunning_ThrowsReactorAlreadyRunning()
    {
        var reactor = ReactorTestSupport.Create(out _);
        Exception? error = null;
        reactor.CallWhenRunning(() =>
        {
            error = Record.Exception(reactor.Run);
            reactor.Stop();
        });
        reactor.RunWithSafetyNet();
        Assert.IsType<ReactorAlreadyRunningException>(error);
    }

    [Fact]
    public void Running_ForStartupEvents_FalseBeforeTrueDuringAndAfter()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var states = new List<(string, bool)>();
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Startup, () => states.Add(("before", reactor.Running)));
        reactor.AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Startup, () => states.Add(("during", reactor.Running)));
        reactor.AddSystemEventTrigger(SystemEventPhase.After, SystemEvents.Startup, () => states.Add(("after", reactor.Running)));
        reactor.CallWhenRunning(reactor.Stop);
        reactor.RunWithSafetyNet();
        // The built-in during-startup trigger that sets Running was added first, so it ran before ours.
        Assert.Equal([("before", false), ("during", true), ("after", true)], states);
    }

    [Fact]
    public void CallWhenRunning_BeforeRun_RunsInRegistrationOrder()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var order = new List<int>();
        reactor.CallWhenRunning(() => order.Add(1));
        reactor.CallWhenRunning(() => order.Add(2));
        reactor.CallWhenRunning(() => order.Add(3));
        reactor.CallWhenRunning(reactor.Stop);
        reactor.RunWithSafetyNet();
        Assert.Equal([1, 2, 3], order);
    }

    [Fact]
    public void CallWhenRunning_WhileRunning_RunsSynchronously()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var order = new List<string>();
        reactor.CallWhenRunning(() =>
        {
            order.Add("outer start");
            reactor.CallWhenRunning(() => order.Add("inner"));
            order.Add("outer end");
            reactor.Stop();
        });
        reactor.RunWithSafetyNet();
        Assert.Equal(["outer start", "inner", "outer end"], order);
    }

    [Fact]
    public void Stop_ShutdownTriggers_RunBeforeDuringAfterWithRunningState()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<(string, bool)>();
        reactor.AddSystemEventTrigger(SystemEventPhase.After, SystemEvents.Shutdown, () => events.Add(("after", reactor.Running)));
        reactor.AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Shutdown, () => events.Add(("during", reactor.Running)));
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => events.Add(("before", reactor.Running)));
        reactor.CallWhenRunning(reactor.Stop);
        reactor.RunWithSafetyNet();
        // Before shutdown the reactor still runs; the built-in during trigger (crash) runs before the user's.
        Assert.Equal([("before", true), ("during", false), ("after", false)], events);
    }

    [Fact]
    public void Stop_ShutdownTriggers_FireAsynchronously()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => events.Add("before"));
        reactor.CallWhenRunning(() =>
        {
            reactor.Stop();
            events.Add("stop returned");
        });
        reactor.RunWithSafetyNet();
        Assert.Equal(["stop returned", "before"], events);
    }

    [Fact]
    public void BeforeShutdownTrigger_SlowDeferred_DelaysDuringPhaseUntilItFires()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () =>
        {
            events.Add("before");
            var closing = new Deferred<int>();
            // Like a connection pool closing its connections: the work finishes a few passes later.
            reactor.CallLater(TimeSpan.FromMilliseconds(30), () =>
            {
                events.Add("pool closed");
                closing.Callback(0);
            });
            return closing;
        });
        reactor.AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Shutdown, () => events.Add("during"));
        reactor.AddSystemEventTrigger(SystemEventPhase.After, SystemEvents.Shutdown, () => events.Add("after"));
        reactor.CallWhenRunning(reactor.Stop);
        reactor.RunWithSafetyNet();
        Assert.Equal(["before", "pool closed", "during", "after"], events);
    }

    [Fact]
    public void BeforeShutdownTriggers_MultipleDeferreds_DuringWaitsForAll()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var first = new Deferred<int>();
        var second = new Deferred<int>();
        var events = new List<string>();
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => first);
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => second);
        reactor.AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Shutdown, () => events.Add("during"));
        reactor.CallWhenRunning(() =>
        {
            reactor.Stop();
            reactor.CallLater(TimeSpan.FromMilliseconds(10), () =>
            {
                events.Add("second fired");
                second.Callback(2);
                reactor.CallLater(TimeSpan.FromMilliseconds(10), () =>
                {
                    events.Add("first fired");
                    first.Callback(1);
                });
            });
        });
        reactor.RunWithSafetyNet();
        Assert.Equal(["second fired", "first fired", "during"], events);
    }

    [Fact]
    public void BeforeTrigger_FiringAnEarlierBeforeTriggersDeferred_ContinuesTheEvent()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var first = new Deferred<int>();
        var events = new List<string>();
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, "test", () => first);
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, "test", () =>
        {
            first.Callback(1);
            return null;
        });
        reactor.AddSystemEventTrigger(SystemEventPhase.During, "test", () => events.Add("during"));
        reactor.FireSystemEvent("test");
        Assert.Equal(["during"], events);
    }

    [Fact]
    public void BeforeShutdownDeferred_Fails_ShutdownCompletesAndFailureIsLogged()
    {
        var reactor = ReactorTestSupport.Create(out var logs);
        var during = false;
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => Deferred.Fail<int>(new IOException("close failed")));
        reactor.AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Shutdown, () => during = true);
        reactor.CallWhenRunning(reactor.Stop);
        reactor.RunWithSafetyNet();
        Assert.True(during);
        Assert.Contains(logs.Entries, e => e.Exception is IOException);
    }

    [Fact]
    public void Trigger_Throws_ExceptionIsLoggedAndLaterTriggersRun()
    {
        var reactor = ReactorTestSupport.Create(out var logs);
        var ran = new List<int>();
        reactor.AddSystemEventTrigger(SystemEventPhase.During, "test", () => throw new InvalidOperationException("boom"));
        reactor.AddSystemEventTrigger(SystemEventPhase.During, "test", () => ran.Add(2));
        reactor.AddSystemEventTrigger(SystemEventPhase.After, "test", () => ran.Add(3));
        reactor.FireSystemEvent("test");
        Assert.Equal([2, 3], ran);
        Assert.Contains(logs.Entries, e => e.Exception is InvalidOperationException { Message: "boom" });
    }

    [Fact]
    public void FireSystemEvent_CustomEvent_TriggersRunOnceInPhaseOrder()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        reactor.AddSystemEventTrigger(SystemEventPhase.After, "custom", () => events.Add("after"));
        reactor.AddSystemEventTrigger(SystemEventPhase.During, "custom", () => events.Add("during"));
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, "custom", () => events.Add("before"));
        reactor.FireSystemEvent("custom");
        reactor.FireSystemEvent("custom");
        Assert.Equal(["before", "during", "after"], events);
    }

    [Fact]
    public void RemoveSystemEventTrigger_PendingTrigger_DoesNotRun()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        var removed = reactor.AddSystemEventTrigger(SystemEventPhase.During, "test", () => events.Add("removed"));
        reactor.AddSystemEventTrigger(SystemEventPhase.During, "test", () => events.Add("kept"));
        reactor.RemoveSystemEventTrigger(removed);
        reactor.FireSystemEvent("test");
        Assert.Equal(["kept"], events);
    }

    [Fact]
    public void RemoveSystemEventTrigger_Twice_ThrowsArgumentException()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var trigger = reactor.AddSystemEventTrigger(SystemEventPhase.Before, "test", () => { });
        reactor.RemoveSystemEventTrigger(trigger);
        Assert.Throws<ArgumentException>(() => reactor.RemoveSystemEventTrigger(trigger));
    }

    [Fact]
    public void RemoveSystemEventTrigger_ForeignHandle_ThrowsArgumentException()
    {
        var reactor = ReactorTestSupport.Create(out _);
        Assert.Throws<ArgumentException>(() => reactor.RemoveSystemEventTrigger(new SystemEventTrigger(SystemEventPhase.During, "never")));
    }

    [Fact]
    public void BeforeTrigger_RemovesPendingDuringTrigger_ItDoesNotRun()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        SystemEventTrigger? during = null;
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, "test", () => reactor.RemoveSystemEventTrigger(during!));
        during = reactor.AddSystemEventTrigger(SystemEventPhase.During, "test", () => events.Add("during"));
        reactor.AddSystemEventTrigger(SystemEventPhase.After, "test", () => events.Add("after"));
        reactor.FireSystemEvent("test");
        Assert.Equal(["after"], events);
    }

    [Fact]
    public void BeforeStartupTrigger_ReturningDeferred_PostponesRunningUntilItFires()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var gate = new Deferred<int>();
        var events = new List<string>();
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Startup, () => gate);
        reactor.CallWhenRunning(() =>
        {
            events.Add("running");
            reactor.Stop();
        });
        reactor.CallFromThread(() =>
        {
            events.Add($"thread call, running={reactor.Running}");
            gate.Callback(0);
        });
        reactor.RunWithSafetyNet();
        Assert.Equal(["thread call, running=False", "running"], events);
    }

    [Fact]
    public void FireSystemEvent_PendingBeforeDeferredOfOneEvent_DoesNotBlockAnotherEvent()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var gate = new Deferred<int>();
        var events = new List<string>();
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, "first", () => gate);
        reactor.AddSystemEventTrigger(SystemEventPhase.During, "first", () => events.Add("first during"));
        reactor.AddSystemEventTrigger(SystemEventPhase.During, "second", () => events.Add("second during"));
        reactor.FireSystemEvent("first");
        reactor.FireSystemEvent("second");
        gate.Callback(0);
        Assert.Equal(["second during", "first during"], events);
    }

    [Fact]
    public void Stop_FromAnotherThread_StopsTheReactor()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var shutdown = new ManualResetEventSlim();
        reactor.AddSystemEventTrigger(SystemEventPhase.After, SystemEvents.Shutdown, shutdown.Set);
        using var thread = reactor.RunInBackground();
        var running = new ManualResetEventSlim();
        reactor.CallFromThread(running.Set);
        running.WaitOrFail("the reactor to run");
        reactor.Stop();
        shutdown.WaitOrFail("the shutdown triggers");
        Assert.True(thread.Join(ReactorTestSupport.Patience));
        Assert.False(reactor.Running);
    }

    [Fact]
    public void ThreadPool_Shutdown_IsStoppedAndJoined()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var worked = new ManualResetEventSlim();
        reactor.CallWhenRunning(() => reactor.CallInThread(() =>
        {
            worked.Set();
            reactor.CallFromThread(reactor.Stop);
        }));
        reactor.RunWithSafetyNet();
        Assert.True(worked.IsSet);
        Assert.True(reactor.GetThreadPool().Joined);
        Assert.Equal(0, reactor.GetThreadPool().Workers);
    }

    // ---- crash and iterate (Twisted's test_core: test_crash, test_runAfterCrash, test_iterate) ---------------------

    [Fact]
    public void Crash_FromATimer_RunReturnsWithoutShutdownTriggers()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => events.Add("before shutdown"));
        reactor.CallWhenRunning(() => reactor.CallLater(TimeSpan.Zero, reactor.Crash));
        reactor.RunWithSafetyNet();
        Assert.False(reactor.Running);
        Assert.False(reactor.Stopping);
        Assert.Empty(events);
    }

    [Fact]
    public void Run_AfterCrash_StartsAgainAndStopsNormally()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        reactor.CallWhenRunning(() =>
        {
            events.Add("crash");
            reactor.Crash();
        });
        reactor.RunWithSafetyNet();
        reactor.CallWhenRunning(() =>
        {
            events.Add("stop, running " + reactor.Running);
            reactor.Stop();
        });
        reactor.AddSystemEventTrigger(SystemEventPhase.After, SystemEvents.Shutdown, () => events.Add("shutdown"));
        reactor.RunWithSafetyNet();
        Assert.Equal(["crash", "stop, running True", "shutdown"], events);
        Assert.Throws<ReactorNotRestartableException>(reactor.Run);
    }

    [Fact]
    public void Crash_PendingThreadCallsAndTimers_RunOnTheNextRun()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var ran = new List<string>();
        reactor.CallWhenRunning(() =>
        {
            reactor.CallFromThread(() => ran.Add("thread call"));
            reactor.CallLater(TimeSpan.Zero, () => ran.Add("timer"));
            reactor.Crash();
        });
        reactor.RunWithSafetyNet();
        Assert.Empty(ran);
        Assert.False(reactor.ThreadCallsAbandoned.IsCancellationRequested);
        reactor.CallWhenRunning(() => reactor.CallLater(TimeSpan.FromMilliseconds(1), reactor.Stop));
        reactor.RunWithSafetyNet();
        Assert.Equal(["thread call", "timer"], ran);
    }

    [Fact]
    public void Crash_WhenNotRunning_DoesNothing()
    {
        var reactor = ReactorTestSupport.Create(out _);
        reactor.Crash();
        var running = false;
        reactor.CallWhenRunning(() =>
        {
            running = reactor.Running;
            reactor.Stop();
        });
        reactor.RunWithSafetyNet();
        Assert.True(running);
    }

    [Fact]
    public void Iterate_ZeroDelay_ReturnsWithoutWaitingForAFarTimer()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var fired = false;
        var far = reactor.CallLater(TimeSpan.FromSeconds(5), () => fired = true);
        reactor.Iterate(TimeSpan.Zero);
        Assert.False(fired);
        Assert.True(far.Active);
        far.Cancel();
    }

    [Fact]
    public void Iterate_RunsOnePass_CallsQueuedDuringItWaitForTheNext()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var ran = new List<string>();
        reactor.CallFromThread(() =>
        {
            ran.Add("first");
            reactor.CallFromThread(() => ran.Add("queued by first"));
        });
        reactor.CallLater(TimeSpan.Zero, () => ran.Add("due timer"));
        reactor.Iterate();
        Assert.Equal(["first", "due timer"], ran);
        reactor.Iterate();
        Assert.Equal(["first", "due timer", "queued by first"], ran);
        Assert.False(reactor.Running);
    }

    [Fact]
    public void Iterate_WithDelay_WakesForAThreadCallAndRunsItNextPass()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var ran = false;
        using var gate = new ManualResetEventSlim();
        var worker = new Thread(() =>
        {
            gate.Wait();
            reactor.CallFromThread(() => ran = true);
        });
        worker.Start();
        // The pass releases the worker, whose call then arrives after the pass began: Iterate returns when it arrives
        // (not after the delay), and the call runs on the following pass.
        reactor.CallFromThread(gate.Set);
        reactor.Iterate(ReactorTestSupport.Patience);
        worker.Join();
        Assert.False(ran);
        reactor.Iterate();
        Assert.True(ran);
    }

    [Fact]
    public void Iterate_WhileRunning_ThrowsReactorAlreadyRunning()
    {
        var reactor = ReactorTestSupport.Create(out _);
        Exception? error = null;
        reactor.CallWhenRunning(() =>
        {
            error = Record.Exception(() => reactor.Iterate());
            reactor.Stop();
        });
        reactor.RunWithSafetyNet();
        Assert.IsType<ReactorAlreadyRunningException>(error);
    }
}
