using AsyncCore.Tasks;

namespace AsyncCore.Tests.Tasks;

/// <summary><see cref="Clock"/> as a <see cref="TimeProvider"/>: .NET's time abstraction driven by <see cref="Clock.Advance"/>.</summary>
public class ClockTimeProviderTests
{
    [Fact]
    public void Clock_IsATimeProviderAndItsOwnReactorTimeProvider()
    {
        var clock = new Clock();
        Assert.IsAssignableFrom<TimeProvider>(clock);
        Assert.Same(clock, ((IReactorTime)clock).TimeProvider);
    }

    [Fact]
    public void GetUtcNow_StartsAtTheUnixEpochAndMovesOnlyWithAdvance()
    {
        var clock = new Clock();
        Assert.Equal(DateTimeOffset.UnixEpoch, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(90), clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(90), clock.Now);
    }

    [Fact]
    public void GetUtcNow_GivenStart_StartsThere()
    {
        var start = new DateTimeOffset(2030, 6, 1, 12, 0, 0, TimeSpan.FromHours(2));
        var clock = new Clock(start);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(start.AddMinutes(1), clock.GetUtcNow());
        Assert.Equal(TimeSpan.Zero, clock.GetUtcNow().Offset);
    }

    [Fact]
    public void GetTimestamp_ElapsedTimeIsWhatWasAdvanced()
    {
        var clock = new Clock();
        var start = clock.GetTimestamp();
        clock.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), clock.GetElapsedTime(start));
        Assert.Equal(clock.Now.Ticks, clock.GetTimestamp());
        Assert.Equal(TimeSpan.TicksPerSecond, clock.TimestampFrequency);
    }

    [Fact]
    public void CreateTimer_FiresInsideTheAdvanceThatReachesItsDueTime()
    {
        var clock = new Clock();
        var fired = new List<TimeSpan>();
        using var timer = clock.CreateTimer(_ => fired.Add(clock.Now), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Empty(fired);
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal([TimeSpan.FromSeconds(2)], fired);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Single(fired);
    }

    [Fact]
    public void CreateTimer_ZeroDueTime_FiresInAdvanceByZero()
    {
        var clock = new Clock();
        var fired = 0;
        using var timer = clock.CreateTimer(_ => fired++, null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        Assert.Equal(0, fired);
        clock.Advance(TimeSpan.Zero);
        Assert.Equal(1, fired);
    }

    [Fact]
    public void CreateTimer_Periodic_FiresOncePerPeriodEvenInOneAdvance()
    {
        var clock = new Clock();
        var fired = 0;
        using var timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, fired);
        clock.Advance(TimeSpan.FromSeconds(3.5));
        Assert.Equal(4, fired);
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(5, fired);
    }

    [Fact]
    public void CreateTimer_ZeroPeriod_FiresOnce()
    {
        var clock = new Clock();
        var fired = 0;
        using var timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), TimeSpan.Zero);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, fired);
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void Change_MovesThePendingRun()
    {
        var clock = new Clock();
        var fired = 0;
        using var timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        Assert.True(timer.Change(TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, fired);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, fired);
    }

    [Fact]
    public void Change_InsideThePeriodicCallback_ReplacesTheNextRun()
    {
        var clock = new Clock();
        var fired = new List<TimeSpan>();
        ITimer? timer = null;
        timer = clock.CreateTimer(_ =>
        {
            fired.Add(clock.Now);
            timer!.Change(TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([TimeSpan.FromSeconds(1)], fired);
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(6)], fired);
        timer.Dispose();
    }

    [Fact]
    public void Dispose_StopsTheTimerAndChangeThenReturnsFalse()
    {
        var clock = new Clock();
        var fired = 0;
        var timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        timer.Dispose();
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, fired);
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void TimersAndDelayedCalls_DueTogether_RunInSchedulingOrder()
    {
        var clock = new Clock();
        var order = new List<string>();
        clock.CallLater(TimeSpan.FromSeconds(1), () => order.Add("call 1"));
        using var timer = clock.CreateTimer(_ => order.Add("timer"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        clock.CallLater(TimeSpan.FromSeconds(1), () => order.Add("call 2"));
        clock.CallLater(TimeSpan.FromSeconds(0.5), () => order.Add("earlier"));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["earlier", "call 1", "timer", "call 2"], order);
    }

    [Fact]
    public void TaskDelay_OnTheClock_IsCompletedRightAfterTheAdvanceThatReachesIt()
    {
        var clock = new Clock();
        var delay = Task.Delay(TimeSpan.FromSeconds(5), clock, TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(delay.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(delay.IsCompletedSuccessfully);
    }

    [Fact]
    public void CancellationTokenSource_OnTheClock_RegistrationsRunInsideAdvance()
    {
        var clock = new Clock();
        using var source = new CancellationTokenSource(TimeSpan.FromSeconds(30), clock);
        TimeSpan? cancelledAt = null;
        using var registration = source.Token.Register(() => cancelledAt = clock.Now);
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(source.IsCancellationRequested);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(source.IsCancellationRequested);
        Assert.Equal(TimeSpan.FromSeconds(31), cancelledAt);
    }

    [Fact]
    public void CancelAfter_OnAClockSource_FollowsTheClock()
    {
        var clock = new Clock();
        using var source = new CancellationTokenSource(Timeout.InfiniteTimeSpan, clock);
        source.CancelAfter(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(source.IsCancellationRequested);
    }

    [Fact]
    public async Task PeriodicTimer_OnTheClock_TicksWhenAdvanced()
    {
        var clock = new Clock();
        using var periodic = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        var tick = periodic.WaitForNextTickAsync(TestContext.Current.CancellationToken);
        Assert.False(tick.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(tick.IsCompleted);
        Assert.True(await tick);
    }

    [Fact]
    public void WaitAsync_OnTheClock_TimesOutWhenAdvanced()
    {
        var clock = new Clock();
        var never = new TaskCompletionSource().Task;
        var waiting = never.WaitAsync(TimeSpan.FromSeconds(3), clock, TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.True(waiting.IsFaulted);
        Assert.IsType<TimeoutException>(waiting.Exception!.InnerException);
    }
}
