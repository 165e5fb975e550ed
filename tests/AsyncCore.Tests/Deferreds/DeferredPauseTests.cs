namespace AsyncCore.Tests.Deferreds;

/// <summary>Pause counting, on a Deferred and on both sides of a chain.</summary>
public class DeferredPauseTests
{
    [Fact]
    public void Pause_BeforeFiring_DefersCallbacksUntilUnpause()
    {
        var d = new Deferred<int>();
        var seen = new List<int>();
        d.AddCallback(x => seen.Add(x));
        d.Pause();

        d.Callback(1);

        Assert.Empty(seen);
        Assert.True(d.Called);
        Assert.False(d.HasResult);

        d.Unpause();

        Assert.Equal([1], seen);
        Assert.True(d.HasResult);
    }

    [Fact]
    public void Pause_Twice_NeedsTwoUnpauses()
    {
        var d = new Deferred<int>();
        var seen = new List<int>();
        d.AddCallback(x => seen.Add(x));
        d.Pause();
        d.Pause();
        d.Callback(1);

        d.Unpause();
        Assert.Empty(seen);
        Assert.Equal(1, d.Paused);

        d.Unpause();
        Assert.Equal([1], seen);
        Assert.Equal(0, d.Paused);
    }

    [Fact]
    public void Pause_FiredDeferred_CallbacksAddedWhilePausedWait()
    {
        var d = Deferred.Succeed(3);
        d.Pause();
        var seen = new List<int>();

        d.AddCallback(x => seen.Add(x));

        Assert.Empty(seen);
        d.Unpause();
        Assert.Equal([3], seen);
    }

    [Fact]
    public void Pause_FromInsideCallback_RunningChainFinishesButLaterCallbacksWait()
    {
        // As in Twisted: the pause count is checked when a run starts, so the run in progress completes; callbacks
        // added afterwards wait for the unpause.
        var d = new Deferred<int>();
        var calls = new List<string>();
        d.AddCallback(x =>
        {
            calls.Add("first");
            d.Pause();
            return x + 1;
        });
        d.AddCallback(x => calls.Add($"second {x}"));
        d.Callback(1);
        Assert.Equal(["first", "second 2"], calls);

        d.AddCallback(x => calls.Add($"third {x}"));
        Assert.Equal(2, calls.Count);
        Assert.False(d.HasResult);

        d.Unpause();

        Assert.Equal(["first", "second 2", "third 2"], calls);
    }

    [Fact]
    public void Pause_WithFailure_ErrbackRunsOnlyAfterUnpause()
    {
        var d = new Deferred<int>();
        Failure? seen = null;
        d.Pause();
        d.AddErrback(f => { seen = f; });

        d.Errback(new IOException());
        Assert.Null(seen);

        d.Unpause();
        Assert.IsType<IOException>(seen?.Value);
    }

    [Fact]
    public void Unpause_BeforeFiring_ThenCallbackRunsNormally()
    {
        var d = new Deferred<int>();
        var seen = new List<int>();
        d.AddCallback(x => seen.Add(x));
        d.Pause();
        d.Unpause();

        d.Callback(5);

        Assert.Equal([5], seen);
    }

    [Fact]
    public void Chaining_ReturnedDeferredFiredButPaused_OuterWaitsForItsUnpause()
    {
        var paused = Deferred.Succeed("value");
        paused.Pause();
        var outer = new Deferred<int>();
        var seen = new List<string>();
        outer.AddCallback(_ => paused).AddCallback(s => seen.Add(s));

        outer.Callback(0);
        Assert.Empty(seen);
        Assert.True(outer.IsWaiting);

        paused.Unpause();

        Assert.Equal(["value"], seen);
    }

    [Fact]
    public void Chaining_WhileWaiting_CurrentResultIsNoneAndTheInnerIsNotTheResult()
    {
        var inner = new Deferred<int>();
        var outer = Deferred.Succeed(0).AddCallback(_ => inner);

        Assert.True(outer.IsWaiting);
        Assert.Null(outer.CurrentResult);
        Assert.Null(outer.CurrentFailure);
        Assert.False(outer.HasResult);

        inner.Callback(4);

        Assert.False(outer.IsWaiting);
        Assert.Equal(4, outer.CurrentResult);
    }

    [Fact]
    public void Chaining_OuterPausedWhenInnerFires_IsNoLongerWaiting()
    {
        var inner = new Deferred<int>();
        var outer = Deferred.Succeed(0).AddCallback(_ => inner);
        outer.Pause();

        inner.Callback(4);

        // The inner result has moved over; only the user's pause holds the chain now.
        Assert.False(outer.IsWaiting);
        Assert.Equal(1, outer.Paused);
        outer.Unpause();
        Assert.Equal(4, DeferredAssert.SuccessResultOf(outer));
    }

    [Fact]
    public void Chaining_OuterPausedWhenInnerFires_ResumesOnlyAfterUnpause()
    {
        var inner = new Deferred<int>();
        var outer = new Deferred<int>();
        var seen = new List<int>();
        outer.AddCallback(_ => inner).AddCallback(x => seen.Add(x));
        outer.Callback(0);
        outer.Pause();

        inner.Callback(9);
        Assert.Empty(seen);
        Assert.Equal(1, outer.Paused);

        outer.Unpause();

        Assert.Equal([9], seen);
    }

    [Fact]
    public void Chaining_OuterPaused_InnerStillRunsItsOwnCallbacks()
    {
        var inner = new Deferred<int>();
        var innerSeen = new List<int>();
        inner.AddCallback(x => innerSeen.Add(x));
        var outer = new Deferred<int>();
        outer.AddCallback(_ => inner);
        outer.Callback(0);
        outer.Pause();

        inner.Callback(2);

        Assert.Equal([2], innerSeen);
        DeferredAssert.AssertNoResult(outer);
    }

    [Fact]
    public void Paused_WhileWaitingOnChainedDeferred_CountsTheWaitAsOnePause()
    {
        var inner = new Deferred<int>();
        var outer = new Deferred<int>();
        outer.AddCallback(_ => inner);

        outer.Callback(0);

        Assert.Equal(1, outer.Paused);
        inner.Callback(1);
        Assert.Equal(0, outer.Paused);
    }
}
