namespace AsyncCore.Tests.Deferreds;

/// <summary>The iterator form, Deferred.InlineCallbacks (Twisted's test_inlinecb).</summary>
public class InlineCallbacksTests
{
    [Fact]
    public void InlineCallbacks_RunsSynchronouslyUntilFirstUnfiredYield()
    {
        var log = new List<string>();
        var pending = new Deferred<int>();

        var result = Deferred.InlineCallbacks<int>(ic => Body(ic, log, pending));
        log.Add("returned");

        Assert.Equal(["start", "got 1", "returned"], log);
        pending.Callback(2);
        Assert.Equal(["start", "got 1", "returned", "got 2"], log);
        Assert.Equal(3, DeferredAssert.SuccessResultOf(result));

        static IEnumerable<Deferred> Body(InlineCallbacks<int> ic, List<string> log, Deferred<int> pending)
        {
            log.Add("start");
            var fired = Deferred.Succeed(1);
            yield return fired;
            var a = ic.ResultOf(fired);
            log.Add($"got {a}");
            yield return pending;
            var b = ic.ResultOf(pending);
            log.Add($"got {b}");
            ic.Return(a + b);
        }
    }

    [Fact]
    public void InlineCallbacks_100000FiredYieldsInALoop_NoStackOverflow()
    {
        var result = Deferred.InlineCallbacks<long>(Body);

        Assert.Equal(100_000L, DeferredAssert.SuccessResultOf(result));

        static IEnumerable<Deferred> Body(InlineCallbacks<long> ic)
        {
            long total = 0;
            for (var i = 0; i < 100_000; i++)
            {
                var d = Deferred.Succeed(1);
                yield return d;
                total += ic.ResultOf(d);
            }
            ic.Return(total);
        }
    }

    [Fact]
    public void InlineCallbacks_YieldedDeferred_IsConsumed()
    {
        var d = Deferred.Succeed("x");

        var result = Deferred.InlineCallbacks<string>(ic => Body(ic, d));

        Assert.Equal("x", DeferredAssert.SuccessResultOf(result));
        Assert.Null(d.CurrentResult);

        static IEnumerable<Deferred> Body(InlineCallbacks<string> ic, Deferred<string> d)
        {
            yield return d;
            ic.Return(ic.ResultOf(d));
        }
    }

    [Fact]
    public void ResultOf_NotTheDeferredYieldedLast_Throws()
    {
        var result = Deferred.InlineCallbacks<int>(Body);

        DeferredAssert.FailureResultOf(result, typeof(InvalidOperationException));

        static IEnumerable<Deferred> Body(InlineCallbacks<int> ic)
        {
            var yielded = Deferred.Succeed(1);
            var other = Deferred.Succeed(2);
            yield return yielded;
            ic.Return(ic.ResultOf(other));
        }
    }

    [Fact]
    public void InlineCallbacks_YieldedDeferredFails_EndsAtTheYieldRunsFinallyAndFailsWithSameError()
    {
        var log = new List<string>();
        var pending = new Deferred<int>();
        var result = Deferred.InlineCallbacks<int>(ic => Body(log, pending));
        var error = new IOException("yielded failure");

        pending.Errback(error);

        Assert.Equal(["before", "finally"], log);
        Assert.Same(error, DeferredAssert.FailureResultOf(result).Value);
        Assert.Null(pending.CurrentFailure);

        static IEnumerable<Deferred> Body(List<string> log, Deferred<int> pending)
        {
            try
            {
                log.Add("before");
                yield return pending;
                log.Add("after (must not run)");
            }
            finally
            {
                log.Add("finally");
            }
        }
    }

    [Fact]
    public void InlineCallbacks_FinallyThrowsWhileFailing_FinallysErrorWins()
    {
        var result = Deferred.InlineCallbacks<int>(_ => Body());

        DeferredAssert.FailureResultOf(result, typeof(FormatException));

        static IEnumerable<Deferred> Body()
        {
            try
            {
                yield return Deferred.Fail<int>(new IOException());
            }
            finally
            {
                throw new FormatException("from finally");
            }
        }
    }

    [Fact]
    public void Settle_FailedDeferred_IteratorHandlesTheFailureAndContinues()
    {
        var pending = new Deferred<int>();
        var result = Deferred.InlineCallbacks<string>(ic => Body(ic, pending));

        pending.Errback(new TimeoutException());

        Assert.Equal("recovered from TimeoutException", DeferredAssert.SuccessResultOf(result));

        static IEnumerable<Deferred> Body(InlineCallbacks<string> ic, Deferred<int> pending)
        {
            var settled = InlineCallbacks<string>.Settle(pending);
            yield return settled;
            var outcome = ic.ResultOf(settled);
            ic.Return(outcome.Succeeded ? "ok" : "recovered from " + outcome.Failure!.Type.Name);
        }
    }

    [Fact]
    public void InlineCallbacks_BodyThrows_FailsWithThatException()
    {
        var result = Deferred.InlineCallbacks<int>(_ => Body());

        DeferredAssert.FailureResultOf(result, typeof(KeyNotFoundException));

        static IEnumerable<Deferred> Body()
        {
            yield return Deferred.Succeed(1);
            throw new KeyNotFoundException();
        }
    }

    [Fact]
    public void InlineCallbacks_NoReturn_FiresWithDefault()
    {
        var result = Deferred.InlineCallbacks<string?>(_ => Body());

        Assert.Null(DeferredAssert.SuccessResultOf(result));

        static IEnumerable<Deferred> Body()
        {
            yield break;
        }
    }

    [Fact]
    public void InlineCallbacks_YieldNull_ContinuesAtOnce()
    {
        var result = Deferred.InlineCallbacks<int>(Body);

        Assert.Equal(3, DeferredAssert.SuccessResultOf(result));

        static IEnumerable<Deferred> Body(InlineCallbacks<int> ic)
        {
            yield return null!;
            ic.Return(3);
        }
    }

    [Fact]
    public void Cancel_InlineCallbacks_CancelsTheYieldedDeferredAndRunsFinally()
    {
        var cancelled = false;
        var finallyRan = false;
        var pending = new Deferred<int>(_ => cancelled = true);
        var result = Deferred.InlineCallbacks<int>(_ => Body(pending, () => finallyRan = true));

        result.Cancel();

        Assert.True(cancelled);
        Assert.True(finallyRan);
        DeferredAssert.FailureResultOf(result, typeof(CancelledException));

        static IEnumerable<Deferred> Body(Deferred<int> pending, Action onFinally)
        {
            try
            {
                yield return pending;
            }
            finally
            {
                onFinally();
            }
        }
    }

    [Fact]
    public void Cancel_YieldedDeferredsCancellerSucceeds_IteratorContinuesWithTheValue()
    {
        var pending = new Deferred<int>(x => x.Callback(8));
        var result = Deferred.InlineCallbacks<int>(ic => Body(ic, pending));

        result.Cancel();

        Assert.Equal(16, DeferredAssert.SuccessResultOf(result));

        static IEnumerable<Deferred> Body(InlineCallbacks<int> ic, Deferred<int> pending)
        {
            yield return pending;
            ic.Return(ic.ResultOf(pending) * 2);
        }
    }

    [Fact]
    public void Cancel_SettledYield_IteratorSeesCancellationAndCarriesOn()
    {
        var first = new Deferred<int>();
        var second = new Deferred<int>();
        var result = Deferred.InlineCallbacks<string>(ic => Body(ic, first, second));

        result.Cancel();

        Assert.False(result.Called);
        second.Callback(1);
        Assert.Equal("cancelled then 1", DeferredAssert.SuccessResultOf(result));

        static IEnumerable<Deferred> Body(InlineCallbacks<string> ic, Deferred<int> first, Deferred<int> second)
        {
            var settled = InlineCallbacks<string>.Settle(first);
            yield return settled;
            var outcome = ic.ResultOf(settled);
            yield return second;
            ic.Return((outcome.Failure?.Check<CancelledException>() == true ? "cancelled" : "not cancelled") + " then " + ic.ResultOf(second));
        }
    }

    [Fact]
    public void InlineCallbacks_YieldedChainedDeferred_WaitsForTheInner()
    {
        var inner = new Deferred<int>();
        var outer = new Deferred<int>();
        outer.AddCallback(_ => inner);
        outer.Callback(0);
        var result = Deferred.InlineCallbacks<int>(ic => Body(ic, outer));
        DeferredAssert.AssertNoResult(result);

        inner.Callback(5);

        Assert.Equal(5, DeferredAssert.SuccessResultOf(result));

        static IEnumerable<Deferred> Body(InlineCallbacks<int> ic, Deferred<int> d)
        {
            yield return d;
            ic.Return(ic.ResultOf(d));
        }
    }
}
