using AsyncCore.Application;
using AsyncCore.Tasks;
using AsyncCore.Tests.Reactor;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Tests.Application;

/// <summary>TimerService on a Clock (Twisted's TimerServiceTests and TimerBasicTests).</summary>
public class TimerServiceTests
{
    private readonly Clock _clock = new();
    private Deferred<object?> _deferred = new();
    private readonly TimerService _timer;

    public TimerServiceTests() => _timer = new TimerService(TimeSpan.FromSeconds(2), () => _deferred, _clock);

    [Fact]
    public void StartService_RunsAndStartsALoopOnTheClock()
    {
        _timer.StartService();
        Assert.True(_timer.Running);
        Assert.Same(_clock, _timer.Loop!.Clock);
        Assert.True(_timer.Loop.Running);
    }

    [Fact]
    public void StartService_CallsTheFunctionAtOnce_ThenEveryStep()
    {
        var calls = 0;
        var timer = new TimerService(TimeSpan.FromSeconds(1), () => calls++, _clock);
        timer.StartService();
        Assert.Equal(1, calls);
        _clock.Advance(TimeSpan.FromSeconds(1));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, calls);
        _ = timer.StopService();
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(3, calls);
    }

    [Fact]
    public void StopService_WhileACallIsInProgress_WaitsForIt()
    {
        _timer.StartService();
        var d = _timer.StopService();
        Assert.False(d.HasResult);
        Assert.True(_timer.Running);
        _deferred.Callback(new object());
        Assert.Null(d.Result);
        Assert.False(_timer.Running);
    }

    [Fact]
    public void StopService_BetweenCalls_FiresAtOnce()
    {
        _timer.StartService();
        _deferred.Callback(new object());
        var d = _timer.StopService();
        Assert.True(d.HasResult);
        Assert.Null(d.Result);
    }

    [Fact]
    public void FailedCall_IsLogged_AndStopStillSucceeds()
    {
        var logs = new LogCapture();
        using (new UnhandledFailureTracker("test", logs).Install())
        {
            _timer.StartService();
            _deferred.Errback(new DivideByZeroException());
        }
        Assert.Single(logs.Entries, e => e.Level == LogLevel.Error && e.Exception is DivideByZeroException);
        var d = _timer.StopService();
        Assert.Null(d.Result);
    }

    [Fact]
    public void Restart_AfterStop_CallsAgain()
    {
        _timer.StartService();
        _deferred.Callback(null);
        Assert.Null(_timer.StopService().Result);
        _deferred = new Deferred<object?>();
        _timer.StartService();
        Assert.True(_timer.Running);
        Assert.False(_deferred.HasResult);
        _deferred.Callback("bar");
        Assert.Null(_timer.StopService().Result);
    }
}
