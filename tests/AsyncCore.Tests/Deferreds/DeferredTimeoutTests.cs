using AsyncCore.Tasks;

namespace AsyncCore.Tests.Deferreds;

/// <summary>AddTimeout on virtual time (Twisted's DeferredAddTimeoutTests).</summary>
public class DeferredTimeoutTests
{
    private static readonly TimeSpan Ten = TimeSpan.FromSeconds(10);

    [Fact]
    public void AddTimeout_ReturnsTheSameDeferred()
    {
        var d = new Deferred<int>();

        Assert.Same(d, d.AddTimeout(Ten, new Clock()));
    }

    [Fact]
    public void AddTimeout_SuccessBeforeTimeout_KeepsValueAndCancelsTheDelayedCall()
    {
        var clock = new Clock();
        var d = new Deferred<string>();
        d.AddTimeout(Ten, clock);
        Assert.Single(clock.GetDelayedCalls());

        d.Callback("in time");

        Assert.Equal("in time", DeferredAssert.SuccessResultOf(d));
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void AddTimeout_FailureBeforeTimeout_PassesTheSameFailureThrough()
    {
        var clock = new Clock();
        var d = new Deferred<string>();
        d.AddTimeout(Ten, clock);
        var failure = new Failure(new IOException("no more"));

        d.Errback(failure);

        Assert.Same(failure, DeferredAssert.FailureResultOf(d));
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void AddTimeout_NotFiredInTime_FailsWithDeferredTimeoutException()
    {
        var clock = new Clock();
        var d = new Deferred<string>();
        d.AddTimeout(Ten, clock);

        clock.Advance(TimeSpan.FromSeconds(9.5));
        DeferredAssert.AssertNoResult(d);
        clock.Advance(TimeSpan.FromSeconds(0.5));

        var failure = DeferredAssert.FailureResultOf(d, typeof(DeferredTimeoutException));
        Assert.Equal(Ten, ((DeferredTimeoutException)failure.Value).Timeout);
    }

    [Fact]
    public void AddTimeout_TimedOutWithCustomTranslation_UsesItsValue()
    {
        var clock = new Clock();
        var d = new Deferred<string>();
        Outcome<string>? seen = null;
        d.AddTimeout(Ten, clock, (outcome, timeout) =>
        {
            seen = outcome;
            return $"gave up after {timeout.TotalSeconds}s";
        });

        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal("gave up after 10s", DeferredAssert.SuccessResultOf(d));
        Assert.True(seen?.Failure?.Check<CancelledException>());
    }

    [Fact]
    public void AddTimeout_TimedOutWithCancellerThatSucceeds_KeepsTheCancellersValue()
    {
        var clock = new Clock();
        var d = new Deferred<string>(x => x.Callback("I was cancelled!"));
        d.AddTimeout(Ten, clock);

        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal("I was cancelled!", DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void AddTimeout_TimedOutWithCancellerThatFails_KeepsTheCancellersError()
    {
        var clock = new Clock();
        var error = new ArgumentException("canceller error");
        var d = new Deferred<string>(x => x.Errback(error));
        d.AddTimeout(Ten, clock);

        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Same(error, DeferredAssert.FailureResultOf(d).Value);
    }

    [Fact]
    public void AddTimeout_ManualCancelBeforeTimeout_KeepsPlainCancelledException()
    {
        var clock = new Clock();
        var d = new Deferred<string>();
        d.AddTimeout(Ten, clock);

        d.Cancel();

        var failure = DeferredAssert.FailureResultOf(d);
        Assert.IsType<CancelledException>(failure.Value);
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void AddTimeout_ErrbackAddedBefore_SeesCancelledExceptionAndResultIsTimeout()
    {
        var clock = new Clock();
        var d = new Deferred<string>();
        Failure? seenBefore = null;
        d.AddErrback(f => seenBefore = f);
        d.AddTimeout(Ten, clock);

        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.IsType<CancelledException>(seenBefore?.Value);
        DeferredAssert.FailureResultOf(d, typeof(DeferredTimeoutException));
    }

    [Fact]
    public void AddTimeout_ErrbackAddedBeforeSwallowsCancellation_ResultIsSuccess()
    {
        var clock = new Clock();
        var d = new Deferred<string>();
        d.AddErrback(f =>
        {
            f.Trap<CancelledException>();
            return "swallowed";
        });
        d.AddTimeout(Ten, clock);

        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal("swallowed", DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void AddTimeout_CallbackAddedBeforeToCancellerResult_SeesTheCancellersValue()
    {
        var clock = new Clock();
        var d = new Deferred<string>(x => x.Callback("from canceller"));
        string? seen = null;
        d.AddCallback(s => { seen = s; });
        d.AddTimeout(Ten, clock);

        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal("from canceller", seen);
        Assert.Equal("from canceller", DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void AddTimeout_StageAddedAfterwardsWaitsLonger_IsNotTimedOut()
    {
        var clock = new Clock();
        var d = new Deferred<int>();
        var slow = new Deferred<int>();
        d.AddTimeout(Ten, clock);
        d.AddCallback(_ => slow);
        d.Callback(1);

        clock.Advance(TimeSpan.FromSeconds(60));

        DeferredAssert.AssertNoResult(d);
        Assert.False(slow.Called);
        slow.Callback(2);
        Assert.Equal(2, DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void AddTimeout_StageAddedBeforeWaitsOnInner_TimeoutCancelsTheInner()
    {
        var clock = new Clock();
        var innerCancelled = false;
        var inner = new Deferred<int>(_ => innerCancelled = true);
        var d = new Deferred<int>();
        d.AddCallback(_ => inner);
        d.AddTimeout(Ten, clock);
        d.Callback(1);

        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.True(innerCancelled);
        DeferredAssert.FailureResultOf(d, typeof(DeferredTimeoutException));
    }

    [Fact]
    public void AddTimeout_TwoTimeouts_TheShorterOneWinsAndTheOtherIsCancelled()
    {
        var clock = new Clock();
        var d = new Deferred<int>();
        d.AddTimeout(TimeSpan.FromSeconds(5), clock);
        d.AddTimeout(Ten, clock);

        clock.Advance(TimeSpan.FromSeconds(5));

        var failure = DeferredAssert.FailureResultOf(d, typeof(DeferredTimeoutException));
        Assert.Equal(TimeSpan.FromSeconds(5), ((DeferredTimeoutException)failure.Value).Timeout);
        Assert.Empty(clock.GetDelayedCalls());
    }
}
