using AsyncCore.Reactor;
using AsyncCore.Tasks;

namespace AsyncCore.Tests.Reactor;

/// <summary>From Twisted's test_task.py (DeferLaterTests).</summary>
public class DeferLaterTests
{
    [Fact]
    public void DeferLater_Function_FiresWithItsValueAfterTheDelay()
    {
        var clock = new Clock();
        var d = clock.DeferLater(TimeSpan.FromSeconds(3), () => "done");
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(d.Called);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("done", d.Result);
    }

    [Fact]
    public void DeferLater_FunctionThrows_Fails()
    {
        var clock = new Clock();
        var d = clock.DeferLater(TimeSpan.FromSeconds(1), int () => throw new FormatException());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Throws<FormatException>(() => d.Result);
    }

    [Fact]
    public void DeferLater_FunctionReturnsDeferred_ChainsOnIt()
    {
        var clock = new Clock();
        var inner = new Deferred<int>();
        var d = clock.DeferLater(TimeSpan.FromSeconds(1), () => inner);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(d.HasResult);
        inner.Callback(7);
        Assert.Equal(7, d.Result);
    }

    [Fact]
    public void DeferLater_Cancelled_FunctionNeverRunsAndFailsWithCancelled()
    {
        var clock = new Clock();
        var ran = false;
        var d = clock.DeferLater(TimeSpan.FromSeconds(1), () => ran = true);
        d.Cancel();
        Assert.Empty(clock.GetDelayedCalls());
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(ran);
        Assert.Throws<CancelledException>(() => d.Result);
    }

    [Fact]
    public void DeferLater_NoFunction_FiresWithNull()
    {
        var clock = new Clock();
        var d = clock.DeferLater(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(d.HasResult);
        Assert.Null(d.Result);
    }
}
