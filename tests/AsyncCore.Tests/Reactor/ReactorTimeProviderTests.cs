using AsyncCore.Reactors;
using AsyncCore.Reactor;
using AsyncCore.Tasks;
using Microsoft.Extensions.Time.Testing;

namespace AsyncCore.Tests.Reactor;

/// <summary>
/// The reactor's time source (<see cref="ReactorOptions.TimeProvider"/>) and the reactor as a <see cref="TimeProvider"/>
/// (<see cref="ReactorBase.TimeProvider"/>), whose timers run on the reactor thread.
/// </summary>
public class ReactorTimeProviderTests
{
    private static EventLoopReactor Create(TimeProvider source) => new(new ReactorOptions
    {
        TimeProvider = source,
        StallThreshold = Timeout.InfiniteTimeSpan,
    });

    // ---- the injected time source ---------------------------------------------------------------------------------

    [Fact]
    public void Now_InjectedTimeProvider_MovesWithIt()
    {
        var fake = new FakeTimeProvider();
        var reactor = Create(fake);
        var before = reactor.Now;
        fake.Advance(TimeSpan.FromHours(1));
        Assert.Equal(before + TimeSpan.FromHours(1), reactor.Now);
        Assert.Equal((before + TimeSpan.FromHours(1)).TotalSeconds, reactor.Seconds(), 9);
    }

    [Fact]
    public void Now_ClockAsTheTimeSource_IsTheClocksTime()
    {
        var clock = new Clock();
        var reactor = Create(clock);
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(TimeSpan.FromMinutes(5), reactor.Now);
    }

    [Fact]
    public void CallLater_FrozenTimeSource_DueTimeIsExactlyNowPlusDelay()
    {
        var fake = new FakeTimeProvider();
        var reactor = Create(fake);
        var call = reactor.CallLater(TimeSpan.FromSeconds(5), () => { });
        Assert.Equal(reactor.Now + TimeSpan.FromSeconds(5), call.DueTime);
        fake.Advance(TimeSpan.FromSeconds(1));
        call.Reset(TimeSpan.FromSeconds(5));
        Assert.Equal(reactor.Now + TimeSpan.FromSeconds(5), call.DueTime);
    }

    [Fact]
    public void TimeProvider_WallClockAndTimestamps_ComeFromTheTimeSource()
    {
        var start = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var fake = new FakeTimeProvider(start);
        var reactor = Create(fake);
        var stamp = reactor.TimeProvider.GetTimestamp();
        fake.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(start + TimeSpan.FromSeconds(7), reactor.TimeProvider.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(7), reactor.TimeProvider.GetElapsedTime(stamp));
        Assert.Equal(fake.TimestampFrequency, reactor.TimeProvider.TimestampFrequency);
    }

    [Fact]
    public void Run_InjectedTimeSourceAdvanced_RunsTheDueTimer()
    {
        var fake = new FakeTimeProvider();
        var reactor = Create(fake);
        using var running = reactor.RunInBackground();
        using var ran = new ManualResetEventSlim();
        reactor.OnReactor(() => reactor.CallLater(TimeSpan.FromHours(1), ran.Set));
        // A round trip through the loop: the timer is not due on the fake clock, so it has not run.
        reactor.OnReactor(() => 0);
        Assert.False(ran.IsSet);
        // An hour of fake time: the loop, asleep on the source's own timer, wakes and runs it (not in an hour of real time).
        fake.Advance(TimeSpan.FromHours(1));
        ran.WaitOrFail("the timer due on the fake clock");
    }

    [Fact]
    public void ReactorOptions_TimeProvider_DefaultsToTheSystemClock() =>
        Assert.Same(TimeProvider.System, new ReactorOptions().TimeProvider);

    // ---- the reactor as a TimeProvider ------------------------------------------------------------------------------

    [Fact]
    public async Task CreateTimer_FromAnotherThread_CallbackRunsOnTheReactorThread()
    {
        var reactor = ReactorTestSupport.Create(out _);
        using var running = reactor.RunInBackground();
        var onReactor = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = reactor.TimeProvider.CreateTimer(_ => onReactor.TrySetResult(reactor.IsReactorThread), null,
            TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        Assert.True(await onReactor.Task.WaitAsync(ReactorTestSupport.Patience, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TaskDelay_WithTheReactorsTimeProvider_CompletesOnTheReactorThread()
    {
        var reactor = ReactorTestSupport.Create(out _);
        using var running = reactor.RunInBackground();
        // A synchronous continuation runs on the thread that completed the delay: the timer's thread. It is attached on
        // the reactor thread, so the timer (which runs there) cannot fire before it is attached; attached from the test
        // thread, a delay that had already completed would run it inline on the test thread.
        var onReactor = reactor.OnReactor(() =>
            Task.Delay(TimeSpan.FromMilliseconds(1), reactor.TimeProvider, TestContext.Current.CancellationToken)
                .ContinueWith(_ => reactor.IsReactorThread, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
        Assert.True(await onReactor.WaitAsync(ReactorTestSupport.Patience, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task CancellationTokenSource_WithTheReactorsTimeProvider_CancelsOnTheReactorThread()
    {
        var reactor = ReactorTestSupport.Create(out _);
        using var running = reactor.RunInBackground();
        var onReactor = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Registered on the reactor thread, where the timer runs, so the source cannot cancel first and run the callback
        // inline on the registering thread.
        var (source, registration) = reactor.OnReactor(() =>
        {
            var created = new CancellationTokenSource(TimeSpan.FromMilliseconds(1), reactor.TimeProvider);
            return (created, created.Token.Register(() => onReactor.TrySetResult(reactor.IsReactorThread)));
        });
        using var disposeSource = source;
        using var disposeRegistration = registration;
        Assert.True(await onReactor.Task.WaitAsync(ReactorTestSupport.Patience, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task PeriodicTimer_WithTheReactorsTimeProvider_Ticks()
    {
        var reactor = ReactorTestSupport.Create(out _);
        using var running = reactor.RunInBackground();
        using var periodic = new PeriodicTimer(TimeSpan.FromMilliseconds(1), reactor.TimeProvider);
        var cancellation = TestContext.Current.CancellationToken;
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await periodic.WaitForNextTickAsync(cancellation).AsTask().WaitAsync(ReactorTestSupport.Patience, cancellation));
        }
    }

    [Fact]
    public void CreateTimer_Periodic_RunsUntilDisposedInsideItsCallback()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var runs = 0;
        ITimer? timer = null;
        reactor.CallWhenRunning(() => timer = reactor.TimeProvider.CreateTimer(_ =>
        {
            if (++runs == 3)
            {
                timer!.Dispose();
                // A later pass shows that no fourth run came.
                reactor.CallLater(TimeSpan.FromMilliseconds(20), reactor.Stop);
            }
        }, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(1)));
        reactor.RunWithSafetyNet();
        Assert.Equal(3, runs);
        Assert.Equal(1, reactor.PendingTimerCount); // the safety net's call: the timer left none
    }

    [Fact]
    public void CreateTimer_BeforeTheReactorRuns_FiresOnceItRuns()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var fired = false;
        using var timer = reactor.TimeProvider.CreateTimer(_ =>
        {
            fired = reactor.IsReactorThread;
            reactor.Stop();
        }, null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        reactor.RunWithSafetyNet();
        Assert.True(fired);
    }

    [Fact]
    public async Task Change_FromAnotherThread_StartsAStoppedTimer()
    {
        var reactor = ReactorTestSupport.Create(out _);
        using var running = reactor.RunInBackground();
        using var fired = new ManualResetEventSlim();
        using var timer = reactor.TimeProvider.CreateTimer(_ => fired.Set(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        reactor.OnReactor(() => 0);
        Assert.False(fired.IsSet);
        Assert.True(await Task.Run(() => timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan), TestContext.Current.CancellationToken));
        fired.WaitOrFail("the timer started by Change");
    }

    [Fact]
    public void Dispose_FromAnotherThread_TimerNeverRunsAndLeavesNoDelayedCall()
    {
        var reactor = ReactorTestSupport.Create(out _);
        using var running = reactor.RunInBackground();
        var fired = false;
        var timer = reactor.TimeProvider.CreateTimer(_ => fired = true, null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        timer.Dispose();
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        // Whatever the hand-over order, a disposed timer's run is skipped; once the hand-overs ran, its call is gone.
        Assert.Empty(reactor.OnReactor(reactor.GetDelayedCalls));
        Assert.False(reactor.OnReactor(() => fired));
    }

    [Fact]
    public void CreateTimer_NegativeDueTime_Throws()
    {
        var reactor = ReactorTestSupport.Create(out _);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            reactor.TimeProvider.CreateTimer(_ => { }, null, TimeSpan.FromSeconds(-1), Timeout.InfiniteTimeSpan));
    }
}
