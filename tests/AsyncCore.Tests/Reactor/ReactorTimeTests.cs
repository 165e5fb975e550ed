using AsyncCore.Reactor;
using AsyncCore.Reactors;
using Microsoft.Extensions.Time.Testing;

namespace AsyncCore.Tests.Reactor;

/// <summary>From Twisted's test_internet.py (TimeTests, DelayedTests) and internet/test/test_time.py.</summary>
public class ReactorTimeTests
{
    [Fact]
    public void CallLater_Delay_DueTimeIsNowPlusDelay()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var before = reactor.Now;
        var call = reactor.CallLater(TimeSpan.FromSeconds(5), () => { });
        var after = reactor.Now;
        Assert.InRange(call.DueTime, before + TimeSpan.FromSeconds(5), after + TimeSpan.FromSeconds(5));
        Assert.True(call.Active);
    }

    [Fact]
    public void CallLater_DueAtSameTime_RunInSchedulingOrder()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var order = new List<int>();
        reactor.CallWhenRunning(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                var n = i;
                reactor.CallLater(TimeSpan.Zero, () => order.Add(n));
            }
            reactor.CallLater(TimeSpan.FromMilliseconds(5), reactor.Stop);
        });
        reactor.RunWithSafetyNet();
        Assert.Equal(Enumerable.Range(0, 200), order);
    }

    [Fact]
    public void CallLater_DifferentDelays_RunInTimeOrder()
    {
        // A frozen time source: each call's due time is its delay from one same now, whatever pauses a loaded machine
        // puts between the calls (with the real clock, a 10 ms pause would tie the first two and run them in the order
        // they were scheduled).
        var time = new FakeTimeProvider();
        var reactor = new EventLoopReactor(new ReactorOptions { TimeProvider = time, StallThreshold = Timeout.InfiniteTimeSpan });
        var order = new List<int>();
        reactor.CallWhenRunning(() =>
        {
            reactor.CallLater(TimeSpan.FromMilliseconds(30), () => order.Add(3));
            reactor.CallLater(TimeSpan.FromMilliseconds(10), () => order.Add(1));
            reactor.CallLater(TimeSpan.FromMilliseconds(20), () => order.Add(2));
            reactor.CallLater(TimeSpan.FromMilliseconds(40), reactor.Stop);
            time.Advance(TimeSpan.FromMilliseconds(50));
        });
        reactor.RunWithSafetyNet();
        Assert.Equal([1, 2, 3], order);
    }

    [Fact]
    public void CallLater_NegativeDelay_ThrowsArgumentOutOfRange()
    {
        var reactor = ReactorTestSupport.Create(out _);
        Assert.Throws<ArgumentOutOfRangeException>(() => reactor.CallLater(TimeSpan.FromSeconds(-1), () => { }));
    }

    [Fact]
    public void Cancel_PendingCall_NeverRunsAndIsInactive()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var ran = false;
        reactor.CallWhenRunning(() =>
        {
            var call = reactor.CallLater(TimeSpan.Zero, () => ran = true);
            call.Cancel();
            Assert.False(call.Active);
            Assert.True(call.Cancelled);
            reactor.CallLater(TimeSpan.FromMilliseconds(5), reactor.Stop);
        });
        reactor.RunWithSafetyNet();
        Assert.False(ran);
    }

    [Fact]
    public void Cancel_Twice_ThrowsAlreadyCancelled()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var call = reactor.CallLater(TimeSpan.FromSeconds(1), () => { });
        call.Cancel();
        Assert.Throws<AlreadyCancelledException>(call.Cancel);
        Assert.Throws<AlreadyCancelledException>(() => call.Reset(TimeSpan.FromSeconds(1)));
        Assert.Throws<AlreadyCancelledException>(() => call.Delay(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Cancel_AfterCallRan_ThrowsAlreadyCalled()
    {
        var reactor = ReactorTestSupport.Create(out _);
        IDelayedCall? call = null;
        reactor.CallWhenRunning(() =>
        {
            call = reactor.CallLater(TimeSpan.Zero, () => { });
            reactor.CallLater(TimeSpan.FromMilliseconds(5), reactor.Stop);
        });
        reactor.RunWithSafetyNet();
        Assert.True(call!.Called);
        Assert.False(call.Active);
        Assert.Throws<AlreadyCalledException>(call.Cancel);
        Assert.Throws<AlreadyCalledException>(() => call.Reset(TimeSpan.Zero));
        Assert.Throws<AlreadyCalledException>(() => call.Delay(TimeSpan.Zero));
    }

    [Fact]
    public void Cancel_FromInsideTheCallItself_ThrowsAlreadyCalled()
    {
        var reactor = ReactorTestSupport.Create(out _);
        Exception? error = null;
        reactor.CallWhenRunning(() =>
        {
            IDelayedCall? self = null;
            self = reactor.CallLater(TimeSpan.Zero, () =>
            {
                error = Record.Exception(self!.Cancel);
                reactor.Stop();
            });
        });
        reactor.RunWithSafetyNet();
        Assert.IsType<AlreadyCalledException>(error);
    }

    [Fact]
    public void Reset_MovesDueTimeRelativeToNow()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var call = reactor.CallLater(TimeSpan.FromSeconds(100), () => { });
        var before = reactor.Now;
        call.Reset(TimeSpan.FromSeconds(2));
        Assert.InRange(call.DueTime, before + TimeSpan.FromSeconds(2), reactor.Now + TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void Delay_AddsToTheScheduledTime()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var call = reactor.CallLater(TimeSpan.FromSeconds(10), () => { });
        var scheduled = call.DueTime;
        call.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(scheduled + TimeSpan.FromSeconds(3), call.DueTime);
    }

    [Fact]
    public void Timer_CancelledFromInsideAnEarlierTimerInTheSamePass_DoesNotRun()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        reactor.CallWhenRunning(() =>
        {
            IDelayedCall? victim = null;
            reactor.CallLater(TimeSpan.Zero, () =>
            {
                events.Add("first");
                victim!.Cancel();
            });
            victim = reactor.CallLater(TimeSpan.Zero, () => events.Add("victim"));
            reactor.CallLater(TimeSpan.Zero, () => events.Add("third"));
            reactor.CallLater(TimeSpan.FromMilliseconds(5), reactor.Stop);
        });
        reactor.RunWithSafetyNet();
        Assert.Equal(["first", "third"], events);
    }

    [Fact]
    public void Timer_ResetFromInsideAnotherTimer_RunsAtItsNewTime()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        reactor.CallWhenRunning(() =>
        {
            IDelayedCall? moved = null;
            reactor.CallLater(TimeSpan.Zero, () =>
            {
                events.Add("first");
                moved!.Reset(TimeSpan.FromMilliseconds(20));
                reactor.CallLater(TimeSpan.FromMilliseconds(5), () => events.Add("scheduled inside"));
            });
            // The moved call stops the reactor, not a timer at a fixed 50 ms: on a loaded machine the first timer can run
            // late enough that the moved call's new time falls after such a stop, and it would never run.
            moved = reactor.CallLater(TimeSpan.Zero, () =>
            {
                events.Add("moved");
                reactor.Stop();
            });
        });
        reactor.RunWithSafetyNet();
        Assert.Equal(["first", "scheduled inside", "moved"], events);
    }

    [Fact]
    public void Timer_ResetToZeroFromInsideAnotherTimer_WaitsForTheNextPass()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        reactor.CallWhenRunning(() =>
        {
            IDelayedCall? later = null;
            reactor.CallLater(TimeSpan.Zero, () =>
            {
                events.Add("first");
                later!.Reset(TimeSpan.Zero);
                reactor.CallFromThread(() => events.Add("thread call"));
            });
            later = reactor.CallLater(TimeSpan.FromSeconds(5), () =>
            {
                events.Add("reset one");
                reactor.Stop();
            });
        });
        reactor.RunWithSafetyNet();
        Assert.Equal(["first", "thread call", "reset one"], events);
    }

    [Fact]
    public void CallLaterZero_FromInsideTimer_RunsOnTheNextPassAfterThreadCalls()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        reactor.CallWhenRunning(() =>
        {
            reactor.CallLater(TimeSpan.Zero, () =>
            {
                events.Add("timer 1");
                reactor.CallLater(TimeSpan.Zero, () =>
                {
                    events.Add("nested timer");
                    reactor.Stop();
                });
                reactor.CallFromThread(() => events.Add("thread call"));
            });
            reactor.CallLater(TimeSpan.Zero, () => events.Add("timer 2"));
        });
        reactor.RunWithSafetyNet();
        // Twisted (verified): the thread call queued inside a timer runs before a callLater(0) queued in the same timer,
        // and a timer scheduled during the timer phase never runs in that pass.
        Assert.Equal(["timer 1", "timer 2", "thread call", "nested timer"], events);
    }

    [Fact]
    public void GetDelayedCalls_ListsPendingCallsButNotCancelledOnes()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var a = reactor.CallLater(TimeSpan.FromSeconds(1), () => { });
        var b = reactor.CallLater(TimeSpan.FromSeconds(2), () => { });
        var c = reactor.CallLater(TimeSpan.FromSeconds(3), () => { });
        b.Cancel();
        var calls = reactor.GetDelayedCalls();
        Assert.Equal(2, calls.Count);
        Assert.Contains(a, calls);
        Assert.Contains(c, calls);
        Assert.Equal(2, reactor.PendingTimerCount);
    }

    [Fact]
    public void Now_IsMonotonic()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var previous = reactor.Now;
        for (var i = 0; i < 1000; i++)
        {
            var now = reactor.Now;
            Assert.True(now >= previous);
            previous = now;
        }
    }

    [Fact]
    public void CallLater_FromAnotherThreadWhileRunning_ThrowsInvalidOperation()
    {
        var reactor = ReactorTestSupport.Create(out _);
        using var thread = reactor.RunInBackground();
        reactor.OnReactor(() => 0);
        Assert.Throws<InvalidOperationException>(() => reactor.CallLater(TimeSpan.Zero, () => { }));
    }

    [Fact]
    public void Timer_Throws_ExceptionIsLoggedAndLoopContinues()
    {
        var reactor = ReactorTestSupport.Create(out var logs);
        var after = false;
        reactor.CallWhenRunning(() =>
        {
            reactor.CallLater(TimeSpan.Zero, ThrowingTimer);
            reactor.CallLater(TimeSpan.FromMilliseconds(5), () =>
            {
                after = true;
                reactor.Stop();
            });
        });
        reactor.RunWithSafetyNet();
        Assert.True(after);
        var entry = Assert.Single(logs.Entries, e => e.Exception is FormatException);
        Assert.Contains(nameof(ThrowingTimer), entry.Message, StringComparison.Ordinal);
    }

    private static void ThrowingTimer() => throw new FormatException("bad timer");

    [Fact]
    public void ToString_DescribesStateAndCallable()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var call = reactor.CallLater(TimeSpan.FromSeconds(1), ThrowingTimer);
        Assert.Contains("pending", call.ToString(), StringComparison.Ordinal);
        Assert.Contains(nameof(ThrowingTimer), call.ToString(), StringComparison.Ordinal);
        call.Cancel();
        Assert.Contains("cancelled", call.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TimerHeap_ManyRandomInsertsCancelsAndResets_FireInTimeThenSequenceOrder()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var random = new Random(1234);
        var calls = new List<IDelayedCall>();
        var fired = new List<IDelayedCall>();
        for (var i = 0; i < 2000; i++)
        {
            IDelayedCall? self = null;
            self = reactor.CallLater(TimeSpan.FromMilliseconds(random.Next(0, 50)), () => fired.Add(self!));
            calls.Add(self);
        }
        foreach (var call in calls.Where((_, i) => i % 3 == 0))
        {
            call.Cancel();
        }
        foreach (var call in calls.Where((_, i) => i % 3 == 1 && i % 2 == 0))
        {
            call.Reset(TimeSpan.FromMilliseconds(random.Next(0, 50)));
        }
        reactor.CallWhenRunning(() => reactor.CallLater(TimeSpan.FromMilliseconds(80), reactor.Stop));
        reactor.RunWithSafetyNet();
        Assert.Equal(calls.Count(c => !c.Cancelled), fired.Count);
        Assert.Equal(fired.OrderBy(c => c.DueTime).ThenBy(c => ((DelayedCall)c).Sequence), fired);
    }
}
