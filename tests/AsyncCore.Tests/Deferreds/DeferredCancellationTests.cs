namespace AsyncCore.Tests.Deferreds;

/// <summary>Cancel(): cancellers, the CancelledException fallback, swallowed late fires, cancel of chained waits.</summary>
public class DeferredCancellationTests
{
    [Fact]
    public void UnfiredDeferredWithCanceller_ShowsNoCurrentResult_AndFiringReleasesTheCanceller()
    {
        var calls = 0;
        var d = new Deferred<object?>(_ => calls++);

        // The canceller is kept where the result will go; it must never show through as a result.
        Assert.Null(d.CurrentResult);
        Assert.Null(d.CurrentFailure);
        Assert.Null(d.ConsumeFailure());
        Assert.False(d.HasResult);

        d.Callback("value");
        d.Cancel();

        Assert.Equal("value", d.CurrentResult);
        Assert.Equal(0, calls);
    }

    [Fact]
    public void Cancel_FromItsOwnCanceller_RunsTheCancellerOnceAndFails()
    {
        // Reliability (issue 18): this recursed until the stack overflowed and aborted the process.
        var runs = 0;
        var d = new Deferred<int>(self =>
        {
            runs++;
            self.Cancel();
        });

        d.Cancel();

        Assert.Equal(1, runs);
        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
    }

    [Fact]
    public void Cancel_TwoCancellersCancellingEachOther_EachRunsOnce()
    {
        var runs = new List<string>();
        Deferred<int>? b = null;
        var a = new Deferred<int>(_ =>
        {
            runs.Add("a");
            b!.Cancel();
        });
        b = new Deferred<int>(_ =>
        {
            runs.Add("b");
            a.Cancel();
        });

        a.Cancel();

        Assert.Equal(["a", "b"], runs);
        DeferredAssert.FailureResultOf(a, typeof(CancelledException));
        DeferredAssert.FailureResultOf(b, typeof(CancelledException));
    }

    [Fact]
    public void Cancel_AfterACancellerThatCancelledItself_IsANoOp()
    {
        var runs = 0;
        var d = new Deferred<int>(self =>
        {
            runs++;
            self.Cancel();
        });
        d.Cancel();

        d.Cancel();

        Assert.Equal(1, runs);
        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
    }

    [Fact]
    public void Cancel_WithoutCanceller_ErrbacksWithCancelledException()
    {
        var d = new Deferred<int>();

        d.Cancel();

        Assert.True(d.Called);
        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
    }

    [Fact]
    public void Cancel_WithoutCanceller_SwallowsOneLateCallbackThenThrows()
    {
        var d = new Deferred<int>();
        var rest = d.AddErrback(f => { f.Trap<CancelledException>(); });
        d.Cancel();

        d.Callback(1);

        Assert.Throws<AlreadyCalledException>(() => d.Callback(2));
        Assert.Null(DeferredAssert.SuccessResultOf(rest));
    }

    [Fact]
    public void Cancel_WithoutCanceller_SwallowsOneLateErrbackThenThrows()
    {
        var d = new Deferred<int>();
        d.Cancel();

        d.Errback(new IOException());

        Assert.Throws<AlreadyCalledException>(() => d.Errback(new IOException()));
        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
    }

    [Fact]
    public void Cancel_WithCancellerThatDoesNotFire_ErrbacksAndLateFireThrows()
    {
        var calls = 0;
        var d = new Deferred<int>(_ => calls++);

        d.Cancel();

        Assert.Equal(1, calls);
        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
        // Only a Deferred without a canceller swallows the producer's late fire.
        Assert.Throws<AlreadyCalledException>(() => d.Callback(1));
    }

    [Fact]
    public void Cancel_CancellerReceivesTheDeferred()
    {
        Deferred<int>? received = null;
        var d = new Deferred<int>(x => received = x);

        d.Cancel();

        Assert.Same(d, received);
        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
    }

    [Fact]
    public void Cancel_CancellerThatCallbacks_ResultIsItsValue()
    {
        var d = new Deferred<string>(x => x.Callback("cancelled politely"));

        d.Cancel();

        Assert.Equal("cancelled politely", DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void Cancel_CancellerThatErrbacks_ResultIsItsError()
    {
        var error = new TimeoutException();
        var d = new Deferred<string>(x => x.Errback(error));

        d.Cancel();

        Assert.Same(error, DeferredAssert.FailureResultOf(d).Value);
    }

    [Fact]
    public void Cancel_Twice_CallsCancellerOnce()
    {
        var calls = 0;
        var d = new Deferred<int>(_ => calls++);

        d.Cancel();
        d.Cancel();

        Assert.Equal(1, calls);
        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
    }

    [Fact]
    public void Cancel_AfterCallback_IsIgnored()
    {
        var calls = 0;
        var d = new Deferred<int>(_ => calls++);
        d.Callback(4);

        d.Cancel();

        Assert.Equal(0, calls);
        Assert.Equal(4, DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void Cancel_OuterWaitingOnInner_CancelsTheInnerAndGetsItsOutcome()
    {
        var outerCancellerCalls = 0;
        var innerCancellerCalls = 0;
        var inner = new Deferred<int>(_ => innerCancellerCalls++);
        var outer = new Deferred<int>(_ => outerCancellerCalls++);
        outer.AddCallback(_ => inner);
        outer.Callback(0);

        outer.Cancel();

        Assert.Equal(0, outerCancellerCalls);
        Assert.Equal(1, innerCancellerCalls);
        DeferredAssert.FailureResultOf(outer, typeof(CancelledException));
        Assert.Null(inner.CurrentFailure);
    }

    [Fact]
    public void Cancel_OuterWaitingOnInnerWhoseCancellerSucceeds_OuterContinuesWithValue()
    {
        var inner = new Deferred<int>(x => x.Callback(-1));
        var outer = new Deferred<int>();
        var chained = outer.AddCallback(_ => inner).AddCallback(x => x * 2);
        outer.Callback(0);

        outer.Cancel();

        Assert.Equal(-2, DeferredAssert.SuccessResultOf(chained));
    }

    [Fact]
    public void Cancel_OuterWaitingTwoLevelsDown_CancelsTheDeepestDeferred()
    {
        var deepestCancelled = false;
        var deepest = new Deferred<int>(_ => deepestCancelled = true);
        var middle = new Deferred<int>();
        middle.AddCallback(_ => deepest);
        var outer = new Deferred<int>();
        outer.AddCallback(_ => middle);
        middle.Callback(0);
        outer.Callback(0);

        outer.Cancel();

        Assert.True(deepestCancelled);
        DeferredAssert.FailureResultOf(outer, typeof(CancelledException));
    }

    [Fact]
    public void Cancel_ThroughTypedView_RunsTheOwnersCanceller()
    {
        Deferred<int>? received = null;
        var d = new Deferred<int>(x => received = x);
        var view = d.AddCallback(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture));

        view.Cancel();

        Assert.Same(d, received);
        DeferredAssert.FailureResultOf(view, typeof(CancelledException));
    }

    [Fact]
    public void Cancel_CancellerThrows_FallsBackToCancelledExceptionCarryingTheError()
    {
        var error = new InvalidOperationException("canceller broke");
        var d = new Deferred<int>(_ => throw error);

        d.Cancel();

        var failure = DeferredAssert.FailureResultOf(d, typeof(CancelledException));
        Assert.Same(error, failure.Value.InnerException);
    }

    [Fact]
    public void Cancel_ErrbackOnCancelledException_CanRecover()
    {
        var d = new Deferred<int>();
        d.AddErrback(f =>
        {
            f.Trap<CancelledException>();
            return 10;
        });

        d.Cancel();

        Assert.Equal(10, DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void CancelledException_IsAnOperationCanceledException()
    {
        var d = new Deferred<int>();
        d.Cancel();

        var failure = DeferredAssert.FailureResultOf(d);

        Assert.True(failure.Check<OperationCanceledException>());
    }
}
