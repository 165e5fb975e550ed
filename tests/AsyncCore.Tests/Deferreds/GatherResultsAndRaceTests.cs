namespace AsyncCore.Tests.Deferreds;

/// <summary>GatherResults and Race.</summary>
public class GatherResultsAndRaceTests
{
    [Fact]
    public void GatherResults_AllSucceed_ValuesInInputOrder()
    {
        var a = new Deferred<int>();
        var b = new Deferred<int>();
        var gathered = Deferred.GatherResults([a, b]);

        b.Callback(2);
        DeferredAssert.AssertNoResult(gathered);
        a.Callback(1);

        Assert.Equal([1, 2], DeferredAssert.SuccessResultOf(gathered));
    }

    [Fact]
    public void GatherResults_Empty_FiresWithEmptyList()
    {
        Assert.Empty(DeferredAssert.SuccessResultOf(Deferred.GatherResults(Array.Empty<Deferred<int>>())));
    }

    [Fact]
    public void GatherResults_OneFails_FailsAtOnceWithFirstErrorNotTheRawError()
    {
        var a = new Deferred<int>();
        var b = new Deferred<int>();
        var gathered = Deferred.GatherResults([a, b]);
        var error = new IOException("second input");

        b.Errback(error);

        var failure = DeferredAssert.FailureResultOf(gathered, typeof(FirstErrorException));
        var firstError = (FirstErrorException)failure.Value;
        Assert.Equal(1, firstError.Index);
        Assert.Same(error, firstError.SubFailure.Value);
        Assert.False(a.Called);
        b.ConsumeFailure();
    }

    [Fact]
    public void GatherResults_ConsumeErrors_FailedInputHoldsNull()
    {
        var a = new Deferred<int>();
        var gathered = Deferred.GatherResults([a], consumeErrors: true);

        a.Errback(new IOException());

        Assert.Null(a.CurrentFailure);
        DeferredAssert.FailureResultOf(gathered, typeof(FirstErrorException));
    }

    [Fact]
    public void GatherResults_Cancel_CancelsEveryInput()
    {
        var cancelled = 0;
        var a = new Deferred<int>(_ => cancelled++);
        var b = new Deferred<int>(_ => cancelled++);
        var gathered = Deferred.GatherResults([a, b], consumeErrors: true);

        gathered.Cancel();

        Assert.Equal(2, cancelled);
        var firstError = (FirstErrorException)DeferredAssert.FailureResultOf(gathered, typeof(FirstErrorException)).Value;
        Assert.IsType<CancelledException>(firstError.SubFailure.Value);
    }

    [Fact]
    public void GatherResults_CancelWhenCancellersSucceed_FiresWithTheirValues()
    {
        var a = new Deferred<int>(x => x.Callback(10));
        var b = new Deferred<int>(x => x.Callback(20));
        var gathered = Deferred.GatherResults([a, b]);

        gathered.Cancel();

        Assert.Equal([10, 20], DeferredAssert.SuccessResultOf(gathered));
    }

    [Fact]
    public void Race_FirstSuccess_WinsWithIndexAndOthersAreCancelled()
    {
        var cancelled = new List<int>();
        var a = new Deferred<string>(_ => cancelled.Add(0));
        var b = new Deferred<string>(_ => cancelled.Add(1));
        var c = new Deferred<string>(_ => cancelled.Add(2));
        var race = Deferred.Race(a, b, c);

        b.Callback("b wins");

        Assert.Equal((1, "b wins"), DeferredAssert.SuccessResultOf(race));
        Assert.Equal([0, 2], cancelled);
    }

    [Fact]
    public void Race_FailureThenSuccess_SuccessWins()
    {
        var a = new Deferred<int>();
        var b = new Deferred<int>();
        var race = Deferred.Race(a, b);

        a.Errback(new IOException());
        DeferredAssert.AssertNoResult(race);
        b.Callback(2);

        Assert.Equal((1, 2), DeferredAssert.SuccessResultOf(race));
    }

    [Fact]
    public void Race_AllFail_FailsWithFailureGroupInInputOrder()
    {
        var a = new Deferred<int>();
        var b = new Deferred<int>();
        var race = Deferred.Race(a, b);
        var first = new TimeoutException();
        var second = new IOException();

        b.Errback(second);
        a.Errback(first);

        var group = Assert.IsType<FailureGroupException>(DeferredAssert.FailureResultOf(race).Value);
        Assert.Same(first, group.Failures[0].Value);
        Assert.Same(second, group.Failures[1].Value);
    }

    [Fact]
    public void Race_InputResults_AreConsumed()
    {
        var a = new Deferred<int>();
        var b = new Deferred<int>();
        _ = Deferred.Race(a, b);

        a.Callback(1);

        Assert.Null(a.CurrentResult);
        // b was cancelled by the race; its CancelledException was consumed too, so it is not reported as unhandled.
        Assert.True(b.Called);
        Assert.Null(b.CurrentFailure);
    }

    [Fact]
    public void Race_Cancel_CancelsEveryInput()
    {
        var cancelled = 0;
        var a = new Deferred<int>(_ => cancelled++);
        var b = new Deferred<int>(_ => cancelled++);
        var race = Deferred.Race(a, b);

        race.Cancel();

        Assert.Equal(2, cancelled);
        DeferredAssert.FailureResultOf(race, typeof(FailureGroupException));
    }

    [Fact]
    public void Race_CancelWhenAnInputsCancellerSucceeds_ThatInputWins()
    {
        var a = new Deferred<int>(x => x.Callback(5));
        var bCancelled = 0;
        var b = new Deferred<int>(_ => bCancelled++);
        var race = Deferred.Race(a, b);

        race.Cancel();

        Assert.Equal((0, 5), DeferredAssert.SuccessResultOf(race));
        Assert.Equal(1, bCancelled);
    }

    [Fact]
    public void Race_ResultAfterCancel_LateSuccessIsIgnored()
    {
        var a = new Deferred<int>();
        var b = new Deferred<int>();
        var race = Deferred.Race(a, b);
        a.Callback(1);

        // b was cancelled without a canceller: its producer's late fire is swallowed once.
        b.Callback(2);

        Assert.Equal((0, 1), DeferredAssert.SuccessResultOf(race));
    }
}
