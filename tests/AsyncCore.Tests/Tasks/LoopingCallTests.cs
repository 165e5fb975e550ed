using AsyncCore.Tasks;

namespace AsyncCore.Tests.Tasks;

/// <summary>From Twisted's test_task.py (LoopTests, ReactorLoopTests), on virtual time.</summary>
public class LoopingCallTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Start_Now_RunsAtOnceThenEveryInterval()
    {
        var clock = new Clock();
        var times = new List<TimeSpan>();
        var loop = new LoopingCall(clock, () => times.Add(clock.Now));
        var stopped = loop.Start(S(0.1));
        clock.Pump([TimeSpan.FromSeconds(0.1), TimeSpan.FromSeconds(0.1), TimeSpan.FromSeconds(0.1)]);
        Assert.Equal([0.0, 0.1, 0.2, 0.3], times.Select(t => Math.Round(t.TotalSeconds, 6)));
        loop.Stop();
        Assert.Same(loop, stopped.Result);
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void Start_NotNow_FirstRunAfterOneInterval()
    {
        var clock = new Clock();
        var count = 0;
        var loop = new LoopingCall(clock, () => count++);
        loop.Start(S(1), now: false);
        Assert.Equal(0, count);
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(0, count);
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(1, count);
    }

    [Fact]
    public void Start_NegativeInterval_ThrowsAndDoesNotRun()
    {
        var loop = new LoopingCall(new Clock(), () => { });
        Assert.Throws<ArgumentOutOfRangeException>(() => loop.Start(S(-1)));
        Assert.False(loop.Running);
    }

    [Fact]
    public void Start_WhileRunning_Throws()
    {
        var loop = new LoopingCall(new Clock(), () => { });
        loop.Start(S(1));
        Assert.Throws<InvalidOperationException>(() => loop.Start(S(1)));
    }

    [Fact]
    public void Stop_WhenNotRunning_Throws()
    {
        var loop = new LoopingCall(new Clock(), () => { });
        Assert.Throws<InvalidOperationException>(loop.Stop);
    }

    [Fact]
    public void Stop_BeforeDelayedStart_FiresAtOnceAndNeverRuns()
    {
        var clock = new Clock();
        var count = 0;
        var loop = new LoopingCall(clock, () => count++);
        var d = loop.Start(S(10), now: false);
        loop.Stop();
        Assert.True(d.HasResult);
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(0, count);
    }

    [Fact]
    public void Stop_FromInsideTheFunction_FiresAfterItReturns()
    {
        var clock = new Clock();
        LoopingCall? loop = null;
        Deferred<LoopingCall>? stopped = null;
        var events = new List<string>();
        loop = new LoopingCall(clock, () =>
        {
            loop!.Stop();
            events.Add($"function returns, fired={stopped!.HasResult}");
        });
        stopped = loop.Start(S(1), now: false);
        stopped.AddCallback(_ => events.Add("stopped"));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["function returns, fired=False", "stopped"], events);
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void Function_Throws_StartDeferredFailsAndLoopStops()
    {
        var clock = new Clock();
        var loop = new LoopingCall(clock, void () => throw new FormatException("bad"));
        var d = loop.Start(S(1));
        Assert.False(loop.Running);
        Assert.Throws<FormatException>(() => d.Result);
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void Function_StopsThenThrows_StartDeferredFails()
    {
        var clock = new Clock();
        LoopingCall? loop = null;
        loop = new LoopingCall(clock, void () =>
        {
            loop!.Stop();
            throw new FormatException("after stop");
        });
        var d = loop.Start(S(1));
        Assert.Throws<FormatException>(() => d.Result);
    }

    [Fact]
    public void Function_ReturnsDeferred_NextRunWaitsForIt()
    {
        var clock = new Clock();
        var pending = new List<Deferred<int>>();
        var loop = new LoopingCall(clock, () =>
        {
            var d = new Deferred<int>();
            pending.Add(d);
            return d;
        });
        loop.Start(S(1));
        Assert.Single(pending);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Single(pending);
        Assert.Empty(clock.GetDelayedCalls());
        pending[0].Callback(0);
        Assert.Single(clock.GetDelayedCalls());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, pending.Count);
    }

    [Fact]
    public void Function_DeferredFails_StartDeferredFailsWithIt()
    {
        var clock = new Clock();
        var inner = new Deferred<int>();
        var loop = new LoopingCall(clock, () => inner);
        var d = loop.Start(S(1));
        inner.Errback(new IOException("io"));
        Assert.False(loop.Running);
        Assert.Throws<IOException>(() => d.Result);
    }

    [Fact]
    public void Stop_WhileFunctionsDeferredPending_FiresWhenItFires()
    {
        var clock = new Clock();
        var inner = new Deferred<int>();
        var loop = new LoopingCall(clock, () => inner);
        var d = loop.Start(S(1));
        loop.Stop();
        Assert.False(d.HasResult);
        inner.Callback(1);
        Assert.Same(loop, d.Result);
    }

    [Fact]
    public void Overrun_SkipsMissedGridPoints_StaysOnGrid()
    {
        var clock = new Clock();
        var times = new List<TimeSpan>();
        var loop = new LoopingCall(clock, () =>
        {
            times.Add(clock.Now);
            if (times.Count == 2)
            {
                clock.Advance(TimeSpan.FromSeconds(2.5)); // this run takes 2.5 intervals
            }
        });
        loop.Start(S(1));
        clock.Advance(TimeSpan.FromSeconds(1));   // runs at 1 and takes until 3.5
        clock.Advance(TimeSpan.FromSeconds(0.5)); // 2 and 3 were missed; the next run is on the grid at 4
        Assert.Equal([0.0, 1.0, 4.0], times.Select(t => Math.Round(t.TotalSeconds, 6)));
    }

    [Fact]
    public void ReactorTimeSkips_LateWakeUp_RunsOnceAndRealignsToGrid()
    {
        var clock = new Clock();
        var times = new List<TimeSpan>();
        var loop = new LoopingCall(clock, () => times.Add(clock.Now));
        loop.Start(S(0.5));
        clock.Advance(TimeSpan.FromSeconds(2.25));
        clock.Advance(TimeSpan.FromSeconds(0.25));
        Assert.Equal([0.0, 2.25, 2.5], times.Select(t => Math.Round(t.TotalSeconds, 6)));
    }

    [Fact]
    public void WithCount_Overrun_ReportsSkippedIntervals()
    {
        var clock = new Clock();
        var counts = new List<int>();
        var loop = LoopingCall.WithCount(clock, counts.Add);
        loop.Start(S(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(3));     // the reactor was busy for three intervals
        clock.Advance(TimeSpan.FromSeconds(1.75));  // lands 1.75 intervals after the previous run: one whole grid point
        Assert.Equal([1, 1, 3, 1], counts);
    }

    [Fact]
    public void WithCount_FunctionOverruns_NextCountIncludesSkippedIntervals()
    {
        var clock = new Clock();
        var counts = new List<int>();
        var loop = LoopingCall.WithCount(clock, count =>
        {
            counts.Add(count);
            if (counts.Count == 2)
            {
                clock.Advance(TimeSpan.FromSeconds(3.5));
            }
        });
        loop.Start(S(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal([1, 1, 4], counts);
    }

    [Fact]
    public void WithCount_IntervalZero_AlwaysOne()
    {
        var clock = new Clock();
        var counts = new List<int>();
        LoopingCall? loop = null;
        loop = LoopingCall.WithCount(clock, count =>
        {
            counts.Add(count);
            if (counts.Count == 4)
            {
                loop!.Stop();
            }
        });
        loop.Start(TimeSpan.Zero);
        clock.Advance(TimeSpan.Zero);
        clock.Advance(TimeSpan.Zero);
        clock.Advance(TimeSpan.Zero);
        Assert.Equal([1, 1, 1, 1], counts);
    }

    [Fact]
    public void WithCount_DeferredDelaysRun_CountsElapsedIntervals()
    {
        var clock = new Clock();
        var counts = new List<int>();
        Deferred<int>? pending = null;
        var loop = LoopingCall.WithCount(clock, count =>
        {
            counts.Add(count);
            pending = new Deferred<int>();
            return pending;
        });
        loop.Start(S(1));
        clock.Advance(TimeSpan.FromSeconds(2.5));
        pending!.Callback(0);
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal([1, 3], counts);
    }

    [Fact]
    public void Reset_ReanchorsTheGridAtNow()
    {
        var clock = new Clock();
        var times = new List<TimeSpan>();
        var loop = new LoopingCall(clock, () => times.Add(clock.Now));
        loop.Start(S(2), now: false);
        clock.Advance(TimeSpan.FromSeconds(1));
        loop.Reset();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(times);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([TimeSpan.FromSeconds(3)], times);
    }

    [Fact]
    public void Cancel_StartDeferred_StopsTheLoopAndFailsWithCancelled()
    {
        var clock = new Clock();
        var count = 0;
        var loop = new LoopingCall(clock, () => count++);
        var d = loop.Start(S(1));
        d.Cancel();
        Assert.False(loop.Running);
        Assert.Throws<CancelledException>(() => d.Result);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, count);
    }

    [Fact]
    public void AsyncFunction_Task_NextRunWaitsForTheTask()
    {
        var clock = new Clock();
        var gate = new TaskCompletionSource();
        var runs = 0;
        var loop = new LoopingCall(clock, () =>
        {
            runs++;
            return gate.Task;
        });
        loop.Start(S(1));
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(1, runs);
        gate.SetResult();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, runs);
    }
}
