namespace AsyncCore.Tests.Deferreds;

/// <summary>DeferredList: result shape, fireOnOne*, consumeErrors, already-fired inputs, cancellation.</summary>
public class DeferredListTests
{
    [Fact]
    public void DeferredList_AllFire_ResultsInInputOrderWhateverTheFiringOrder()
    {
        var a = new Deferred<string>();
        var b = new Deferred<string>();
        var c = new Deferred<string>();
        var list = new DeferredList<string>([a, b, c]);
        var failure = new Failure(new IOException());

        c.Callback("c");
        b.Errback(failure);
        DeferredAssert.AssertNoResult(list);
        a.Callback("a");

        var result = DeferredAssert.SuccessResultOf(list);
        Assert.Equal(3, result.Count);
        Assert.Equal(new DeferredListItem<string>(true, "a", null), result[0]);
        Assert.Equal(new DeferredListItem<string>(false, null, failure), result[1]);
        Assert.Equal(new DeferredListItem<string>(true, "c", null), result[2]);
        Assert.Equal(-1, result.FiredIndex);
        b.ConsumeFailure();
    }

    [Fact]
    public void DeferredList_AllInputsFail_StillSucceedsByDefault()
    {
        var a = Deferred.Fail<int>(new IOException());
        var b = Deferred.Fail<int>(new TimeoutException());

        var list = new DeferredList<int>([a, b], consumeErrors: true);

        var result = DeferredAssert.SuccessResultOf(list);
        Assert.All(result, item => Assert.False(item.Success));
        Assert.IsType<TimeoutException>(result[1].Failure!.Value);
    }

    [Fact]
    public void DeferredList_Empty_FiresAtOnceWithNoItems()
    {
        var list = new DeferredList<int>([]);

        Assert.Empty(DeferredAssert.SuccessResultOf(list));
    }

    [Fact]
    public void DeferredList_EmptyWithFireOnOneCallback_NeverFires()
    {
        var list = new DeferredList<int>([], fireOnOneCallback: true);

        Assert.False(list.Called);
    }

    [Fact]
    public void DeferredList_FireOnOneCallback_FiresWithFirstSuccessAndItsIndex()
    {
        var a = new Deferred<string>();
        var b = new Deferred<string>();
        var c = new Deferred<string>();
        var list = new DeferredList<string>([a, b, c], fireOnOneCallback: true);

        a.Errback(new IOException());
        DeferredAssert.AssertNoResult(list);
        c.Callback("third");
        b.Callback("second");

        var result = DeferredAssert.SuccessResultOf(list);
        Assert.Equal(2, result.FiredIndex);
        Assert.Equal("third", result.FiredValue);
        Assert.Empty(result);
        a.ConsumeFailure();
    }

    [Fact]
    public void DeferredList_FireOnOneErrback_FailsWithFirstErrorAndItsIndex()
    {
        var a = new Deferred<int>();
        var b = new Deferred<int>();
        var list = new DeferredList<int>([a, b], fireOnOneErrback: true);
        var failure = new Failure(new IOException("b broke"));

        b.Errback(failure);

        var firstError = Assert.IsType<FirstErrorException>(DeferredAssert.FailureResultOf(list).Value);
        Assert.Equal(1, firstError.Index);
        Assert.Same(failure, firstError.SubFailure);
        // Not consumed: the input keeps its own failure.
        Assert.Same(failure, b.CurrentFailure);
        b.ConsumeFailure();
        a.Callback(1);
        Assert.Equal(1, DeferredAssert.SuccessResultOf(a));
    }

    [Fact]
    public void DeferredList_WithoutConsumeErrors_InputKeepsItsFailure()
    {
        var a = new Deferred<int>();
        var list = new DeferredList<int>([a]);
        var failure = new Failure(new IOException());

        a.Errback(failure);

        Assert.Same(failure, a.CurrentFailure);
        Assert.Same(failure, DeferredAssert.FailureResultOf(a));
        Assert.True(list.Called);
    }

    [Fact]
    public void DeferredList_ConsumeErrors_InputResultBecomesNull()
    {
        var a = new Deferred<string>();
        var list = new DeferredList<string>([a], consumeErrors: true);

        a.Errback(new IOException());

        Assert.Null(a.CurrentFailure);
        Assert.Null(a.CurrentResult);
        Assert.False(DeferredAssert.SuccessResultOf(list)[0].Success);
    }

    [Fact]
    public void DeferredList_AlreadyFailedInputWithConsumeErrors_IsConsumedAndReportsNothing()
    {
        // Inputs that fired before the list are counted without a stage: the consumed error must still be consumed.
        var tracker = new UnhandledFailureTracker("test");
        using (tracker.Install())
        {
            var a = Deferred.Fail<int>(new IOException());
            Assert.Equal(1, tracker.PendingCount);

            var list = new DeferredList<int>([a], consumeErrors: true);

            Assert.Null(a.CurrentFailure);
            Assert.False(DeferredAssert.SuccessResultOf(list)[0].Success);
            Assert.Equal(0, tracker.PendingCount);
        }
    }

    [Fact]
    public void DeferredList_ConsumeErrorsWithFireOnOneErrback_FailsWithFirstErrorAndConsumesInput()
    {
        var a = new Deferred<int>();
        var b = new Deferred<int>();
        var list = new DeferredList<int>([a, b], fireOnOneErrback: true, consumeErrors: true);
        var error = new IOException();

        a.Errback(error);

        var firstError = Assert.IsType<FirstErrorException>(DeferredAssert.FailureResultOf(list).Value);
        Assert.Equal(0, firstError.Index);
        Assert.Same(error, firstError.SubFailure.Value);
        Assert.Null(a.CurrentFailure);
    }

    [Fact]
    public void DeferredList_InputsAlreadyFired_FiresInsideConstructor()
    {
        var list = new DeferredList<int>([Deferred.Succeed(1), Deferred.Succeed(2)]);

        Assert.True(list.Called);
        Assert.Equal([1, 2], DeferredAssert.SuccessResultOf(list).Select(i => i.Value));
    }

    [Fact]
    public void DeferredList_FiredSuccessesBeforeAnUnfiredInput_WaitsForIt()
    {
        // Fired successes are recorded without a stage; the list must still wait for the unfired input after them.
        var pending = new Deferred<int>();
        var list = new DeferredList<int>([Deferred.Succeed(1), Deferred.Succeed(2), pending]);

        DeferredAssert.AssertNoResult(list);
        pending.Callback(3);

        Assert.Equal([1, 2, 3], DeferredAssert.SuccessResultOf(list).Select(i => i.Value));
    }

    [Fact]
    public void DeferredList_FiredSuccessesAroundAFiredFailure_ItemsInInputOrder()
    {
        var error = new IOException("second");
        var list = new DeferredList<int>([Deferred.Succeed(1), Deferred.Fail<int>(error), Deferred.Succeed(3)], consumeErrors: true);

        var items = DeferredAssert.SuccessResultOf(list);
        Assert.Equal([true, false, true], items.Select(i => i.Success));
        Assert.Equal(1, items[0].Value);
        Assert.Same(error, items[1].Failure!.Value);
        Assert.Equal(default, items[1].Value);
        Assert.Equal(3, items[2].Value);
        Assert.Equal<DeferredListItem<int>>([items[0], items[1], items[2]], items.ToArray());
    }

    [Fact]
    public void DeferredList_FireOnOneCallbackWithFiredInputs_FiresWithTheFirstOne()
    {
        var list = new DeferredList<int>([new Deferred<int>(), Deferred.Succeed(7), Deferred.Succeed(8)], fireOnOneCallback: true);

        var result = DeferredAssert.SuccessResultOf(list);
        Assert.Equal(1, result.FiredIndex);
        Assert.Equal(7, result.FiredValue);
        Assert.Empty(result);
    }

    [Fact]
    public void DeferredList_FiredInputWaitingOnAnotherDeferred_CountsWhenThatOneFires()
    {
        // Fired but waiting: the chain's result slot holds the Deferred it waits on, which is not a value to record.
        var inner = new Deferred<int>();
        var waiting = Deferred.Succeed(1).AddCallback(_ => inner);
        var list = new DeferredList<int>([Deferred.Succeed(2), waiting]);

        DeferredAssert.AssertNoResult(list);
        inner.Callback(5);

        Assert.Equal([2, 5], DeferredAssert.SuccessResultOf(list).Select(i => i.Value));
    }

    [Fact]
    public void DeferredList_FireOnOneErrbackWithAlreadyFailedInput_FailsInsideConstructor()
    {
        var pending = new Deferred<int>();
        var failed = Deferred.Fail<int>(new IOException());

        var list = new DeferredList<int>([pending, failed], fireOnOneErrback: true, consumeErrors: true);

        var firstError = Assert.IsType<FirstErrorException>(DeferredAssert.FailureResultOf(list).Value);
        Assert.Equal(1, firstError.Index);
        Assert.False(pending.Called);
    }

    [Fact]
    public void DeferredList_InputSuccess_InputKeepsItsValue()
    {
        var a = new Deferred<int>();
        _ = new DeferredList<int>([a]);

        a.Callback(5);

        Assert.Equal(5, DeferredAssert.SuccessResultOf(a));
    }

    [Fact]
    public void DeferredList_SourceListChangedAfterwards_UsesTheCopy()
    {
        var a = new Deferred<int>();
        var inputs = new List<Deferred<int>> { a };
        var list = new DeferredList<int>(inputs);

        inputs.Add(new Deferred<int>());
        a.Callback(1);

        Assert.Single(DeferredAssert.SuccessResultOf(list));
    }

    [Fact]
    public void Cancel_UnfiredList_CancelsEveryInput()
    {
        var cancelled = new List<int>();
        var a = new Deferred<int>(_ => cancelled.Add(0));
        var b = new Deferred<int>(_ => cancelled.Add(1));
        var list = new DeferredList<int>([a, b], consumeErrors: true);

        list.Cancel();

        Assert.Equal([0, 1], cancelled);
        var result = DeferredAssert.SuccessResultOf(list);
        Assert.All(result, item => Assert.IsType<CancelledException>(item.Failure!.Value));
    }

    [Fact]
    public void Cancel_ListFiredOnOneCallback_DoesNotCancelTheOtherInputs()
    {
        var otherCancelled = false;
        var a = new Deferred<int>();
        var b = new Deferred<int>(_ => otherCancelled = true);
        var list = new DeferredList<int>([a, b], fireOnOneCallback: true);
        a.Callback(1);

        list.Cancel();

        Assert.False(otherCancelled);
        Assert.Equal(0, DeferredAssert.SuccessResultOf(list).FiredIndex);
    }

    [Fact]
    public void Cancel_InputsIgnoringCancellation_ListStaysUnfired()
    {
        var a = Deferred.Succeed(1);
        a.Pause();
        var list = new DeferredList<int>([a]);

        list.Cancel();

        Assert.False(list.Called);
        a.Unpause();
        Assert.True(DeferredAssert.SuccessResultOf(list)[0].Success);
    }

    [Fact]
    public void FirstErrorException_Equality_UsesIndexAndSubFailureException()
    {
        var error = new IOException("x");
        var one = new FirstErrorException(new Failure(error), 1);
        var same = new FirstErrorException(new Failure(error), 1);
        var otherIndex = new FirstErrorException(new Failure(error), 2);
        var otherError = new FirstErrorException(new Failure(new IOException("x")), 1);

        Assert.Equal(one, same);
        Assert.Equal(one.GetHashCode(), same.GetHashCode());
        Assert.NotEqual(one, otherIndex);
        Assert.NotEqual(one, otherError);
        Assert.Contains("#1", one.Message, StringComparison.Ordinal);
        Assert.Contains("IOException", one.Message, StringComparison.Ordinal);
    }
}
