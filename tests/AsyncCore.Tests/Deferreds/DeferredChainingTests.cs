namespace AsyncCore.Tests.Deferreds;

/// <summary>A callback returning a Deferred: the outer chain waits for the inner one (Twisted's implicit chaining).</summary>
public class DeferredChainingTests
{
    private const int Deep = 100_000;

    [Fact]
    public void Callback_ReturningUnfiredDeferred_PausesOuterUntilInnerFires()
    {
        var inner = new Deferred<string>();
        var outer = new Deferred<int>();
        var seen = new List<string>();
        outer.AddCallback(_ => inner).AddCallback(s => seen.Add(s));

        outer.Callback(1);

        Assert.Empty(seen);
        Assert.True(outer.IsWaiting);
        Assert.False(outer.HasResult);

        inner.Callback("inner value");

        Assert.Equal(["inner value"], seen);
        Assert.False(outer.IsWaiting);
    }

    [Fact]
    public void Callback_ReturningFiredDeferred_TakesItsResultAndLeavesInnerWithNull()
    {
        var inner = Deferred.Succeed("ready");
        var outer = new Deferred<int>();
        var chained = outer.AddCallback(_ => inner);

        outer.Callback(1);

        Assert.Equal("ready", DeferredAssert.SuccessResultOf(chained));
        Assert.Null(inner.CurrentResult);
        Assert.True(inner.Called);
    }

    [Fact]
    public void Callback_ReturningAlreadyFailedDeferred_MovesSameFailureToOuter()
    {
        var failure = new Failure(new IOException("inner failed"));
        var inner = Deferred.Fail<string>(failure);
        var outer = new Deferred<int>();
        var callbackRan = false;
        var chained = outer.AddCallback(_ => inner).AddCallback(_ => { callbackRan = true; });

        outer.Callback(1);

        Assert.False(callbackRan);
        Assert.Same(failure, DeferredAssert.FailureResultOf(chained));
        // The failure moved: the inner Deferred no longer holds it (so it will not be reported as unhandled).
        Assert.Null(inner.CurrentFailure);
        Assert.Null(inner.CurrentResult);
    }

    [Fact]
    public void Callback_ReturningDeferredThatFailsLater_OuterErrbackGetsTheFailure()
    {
        var inner = new Deferred<string>();
        var outer = new Deferred<int>();
        Failure? seen = null;
        var chained = outer.AddCallback(_ => inner).AddErrback(f =>
        {
            seen = f;
            return "handled";
        });
        outer.Callback(1);
        var failure = new Failure(new TimeoutException());

        inner.Errback(failure);

        Assert.Same(failure, seen);
        Assert.Equal("handled", DeferredAssert.SuccessResultOf(chained));
        Assert.Null(inner.CurrentFailure);
    }

    [Fact]
    public void Errback_ReturningDeferred_OuterContinuesWithItsValue()
    {
        var recovery = new Deferred<int>();
        var outer = new Deferred<int>();
        outer.AddErrback(_ => recovery);
        outer.Errback(new IOException());
        DeferredAssert.AssertNoResult(outer);

        recovery.Callback(99);

        Assert.Equal(99, DeferredAssert.SuccessResultOf(outer));
    }

    [Fact]
    public void Chaining_InnerCallbacksAddedBefore_RunBeforeOuterResumes()
    {
        var order = new List<string>();
        var inner = new Deferred<int>();
        inner.AddCallback(x =>
        {
            order.Add("inner callback");
            return x * 10;
        });
        var outer = new Deferred<int>();
        outer.AddCallback(_ => inner).AddCallback(x => order.Add($"outer got {x}"));
        outer.Callback(0);

        inner.Callback(4);

        Assert.Equal(["inner callback", "outer got 40"], order);
    }

    [Fact]
    public void Chaining_InnerCallbacksAddedAfterHandOver_UntypedSeeNull_TypedFailClearly()
    {
        // Twisted: once the outer chain took the inner result, the inner chain holds None. Untyped code reads null; a
        // typed Deferred<string> must not hand that null out as a string.
        Deferred<string> HandedOver()
        {
            var inner = new Deferred<string>();
            var outer = new Deferred<int>();
            _ = outer.AddCallback(_ => inner);
            outer.Callback(0);
            inner.Callback("moved");
            return inner;
        }

        object? seenUntyped = "not run";
        _ = HandedOver().AddCallbacks((object? o) => seenUntyped = o, null);
        Assert.Null(seenUntyped);

        var inner = HandedOver();
        var error = Assert.Throws<InvalidOperationException>(() => inner.Result);
        Assert.Contains("already consumed", error.Message, StringComparison.Ordinal);
        string? seenTyped = "not run";
        var typed = inner.AddCallback(s => seenTyped = s);
        Assert.Equal("not run", seenTyped);
        var failure = DeferredAssert.FailureResultOf(typed, typeof(InvalidOperationException));
        Assert.Contains("already consumed", failure.GetErrorMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Chaining_InnerCallbacksAddedAfterChainingButBeforeFiring_RunAfterOuterResumes()
    {
        var order = new List<string>();
        var inner = new Deferred<int>();
        var outer = new Deferred<int>();
        outer.AddCallback(_ => inner).AddCallback(x => order.Add($"outer {x}"));
        outer.Callback(0);
        // The hand-over to the outer was appended when the outer started waiting; this comes after it, and sees what
        // Twisted leaves there (None): null untyped.
        inner.AddCallbacks(
            (object? x) =>
            {
                order.Add($"inner late {x ?? "None"}");
                return x;
            },
            null);

        inner.Callback(5);

        Assert.Equal(["outer 5", "inner late None"], order);
    }

    [Fact]
    public void Chaining_ThreeLevelsFiredInReverse_ResultTravelsToTheTop()
    {
        var first = new Deferred<int>();
        var second = new Deferred<int>();
        var third = new Deferred<int>();
        first.AddCallback(_ => second);
        second.AddCallback(_ => third);
        first.Callback(0);
        second.Callback(0);
        DeferredAssert.AssertNoResult(first);

        third.Callback(3);

        Assert.Equal(3, DeferredAssert.SuccessResultOf(first));
        Assert.Null(second.CurrentResult);
    }

    [Fact]
    public void Chaining_NestedWithExtraCallbacks_RunsInTwistedOrder()
    {
        // Twisted's test_nestedAsynchronousChainedDeferredsWithExtraCallbacks, in our own words.
        var results = new List<string>();
        var failures = new List<Failure>();
        var inner = new Deferred<string>();
        var innerInner = new Deferred<string>();
        var started = new Deferred<string>();

        var outer = new Deferred<string>();
        outer.AddCallback(value =>
        {
            results.Add("start-of-cb " + value);
            return started.AddCallback(v =>
            {
                results.Add("firstCallback " + v);
                return innerInner;
            }).AddCallback(v =>
            {
                results.Add("secondCallback " + v);
                return v + "!";
            });
        }).AddCallback(v => results.Add("outer " + v)).AddErrback(f => failures.Add(f));

        outer.Callback("outer");
        Assert.Equal(["start-of-cb outer"], results);
        started.Callback("started");
        Assert.Equal(["start-of-cb outer", "firstCallback started"], results);
        innerInner.Callback("inner-inner");

        Assert.Equal(["start-of-cb outer", "firstCallback started", "secondCallback inner-inner", "outer inner-inner!"], results);
        Assert.Empty(failures);
        _ = inner;
    }

    [Fact]
    public void Chaining_ResultIsDeferredWaitingOnAnother_OuterWaitsForTheDeepestOne()
    {
        var deepest = new Deferred<int>();
        var middle = new Deferred<int>();
        middle.AddCallback(_ => deepest);
        middle.Callback(0);
        Assert.True(middle.Called);
        Assert.True(middle.IsWaiting);

        var outer = new Deferred<int>();
        var chained = outer.AddCallback(_ => middle);
        outer.Callback(0);
        DeferredAssert.AssertNoResult(chained);

        deepest.Callback(8);

        Assert.Equal(8, DeferredAssert.SuccessResultOf(chained));
    }

    [Fact]
    public void Callback_ReturningItsOwnDeferred_FailsInsteadOfWaitingForever()
    {
        var d = new Deferred<int>();
        d.AddCallback(_ => d);

        d.Callback(1);

        DeferredAssert.FailureResultOf(d, typeof(InvalidOperationException));
    }

    [Fact]
    public void ChainDeferred_FiresTheOtherOneDirectionOnly()
    {
        var source = new Deferred<int>();
        var target = new Deferred<int>();
        source.ChainDeferred(target);

        source.Callback(4);

        Assert.Equal(4, DeferredAssert.SuccessResultOf(target));
        // Twisted: the result passing on from the chainDeferred stage is None.
        Assert.Null(source.CurrentResult);
    }

    [Fact]
    public void ChainDeferred_Failure_ErrbacksTheOtherWithTheSameFailure()
    {
        var source = new Deferred<int>();
        var target = new Deferred<int>();
        source.ChainDeferred(target);
        var failure = new Failure(new IOException());

        source.Errback(failure);

        Assert.Same(failure, DeferredAssert.FailureResultOf(target));
        Assert.Null(source.CurrentFailure);
    }

    [Fact]
    public void Chaining_100000NestedDeferredsFiredInnermostLast_NoStackOverflow()
    {
        var deferreds = new Deferred<int>[Deep + 1];
        for (var i = 0; i <= Deep; i++)
        {
            deferreds[i] = new Deferred<int>();
        }
        for (var i = 0; i < Deep; i++)
        {
            var next = deferreds[i + 1];
            deferreds[i].AddCallback(_ => next);
        }
        var top = deferreds[0].AddCallback(x => x + 1);
        for (var i = 0; i < Deep; i++)
        {
            deferreds[i].Callback(0);
        }
        DeferredAssert.AssertNoResult(top);

        deferreds[Deep].Callback(41);

        Assert.Equal(42, DeferredAssert.SuccessResultOf(top));
    }

    [Fact]
    public void Chaining_100000NestedDeferredsFiredOutermostLast_NoStackOverflow()
    {
        // Each Deferred's callback returns the next one, already fired, but that one waits on its own successor:
        // the outermost firing must walk the whole chain of results without recursion.
        var deferreds = new Deferred<int>[Deep];
        for (var i = 0; i < Deep; i++)
        {
            deferreds[i] = new Deferred<int>();
        }
        for (var i = Deep - 2; i >= 0; i--)
        {
            var next = deferreds[i + 1];
            deferreds[i].AddCallback(_ => next);
        }
        deferreds[Deep - 1].Callback(7);
        for (var i = Deep - 2; i >= 1; i--)
        {
            deferreds[i].Callback(0);
        }

        deferreds[0].Callback(0);

        Assert.Equal(7, DeferredAssert.SuccessResultOf(deferreds[0]));
    }

    [Fact]
    public void AddCallback_100000SequentialCallbacksReturningFiredDeferreds_NoStackOverflow()
    {
        var d = new Deferred<int>();
        for (var i = 0; i < Deep; i++)
        {
            d.AddCallback(x => Deferred.Succeed(x + 1));
        }

        d.Callback(0);

        Assert.Equal(Deep, DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void AddCallback_100000SequentialUnfiredDeferredsFiredInOrder_NoStackOverflow()
    {
        var d = new Deferred<int>();
        var pending = new Queue<Deferred<int>>();
        for (var i = 0; i < Deep; i++)
        {
            d.AddCallback(x =>
            {
                var next = new Deferred<int>();
                next.AddCallback(y => x + y);
                pending.Enqueue(next);
                return next;
            });
        }
        d.Callback(0);
        var fired = 0;
        while (pending.TryDequeue(out var next))
        {
            next.Callback(1);
            fired++;
        }

        Assert.Equal(Deep, fired);
        Assert.Equal(Deep, DeferredAssert.SuccessResultOf(d));
    }
}
