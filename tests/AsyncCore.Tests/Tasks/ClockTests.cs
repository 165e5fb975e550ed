using AsyncCore.Tasks;

namespace AsyncCore.Tests.Tasks;

/// <summary>From Twisted's test_task.py (ClockTests).</summary>
public class ClockTests
{
    [Fact]
    public void Seconds_StartsAtZeroAndMovesOnlyWithAdvance()
    {
        var clock = new Clock();
        Assert.Equal(0, clock.Seconds());
        clock.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(1.5, clock.Seconds());
    }

    [Fact]
    public void Advance_RunsDueCallsEarliestFirstAndLeavesTheRest()
    {
        var clock = new Clock();
        var order = new List<int>();
        clock.CallLater(TimeSpan.FromSeconds(3), () => order.Add(3));
        clock.CallLater(TimeSpan.FromSeconds(1), () => order.Add(1));
        clock.CallLater(TimeSpan.FromSeconds(2), () => order.Add(2));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([1, 2], order);
        Assert.Single(clock.GetDelayedCalls());
    }

    [Fact]
    public void CallLater_SameTime_RunInSchedulingOrder()
    {
        var clock = new Clock();
        var order = new List<int>();
        for (var i = 0; i < 10; i++)
        {
            var n = i;
            clock.CallLater(TimeSpan.FromSeconds(1), () => order.Add(n));
        }
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Enumerable.Range(0, 10), order);
    }

    [Fact]
    public void Advance_CallsScheduledDuringAdvanceThatFallDue_RunInTheSameAdvance()
    {
        var clock = new Clock();
        var events = new List<string>();
        clock.CallLater(TimeSpan.FromSeconds(1), () =>
        {
            events.Add("first");
            clock.CallLater(TimeSpan.Zero, () => events.Add("zero delay"));
            clock.CallLater(TimeSpan.FromSeconds(0.5), () => events.Add("half"));
            clock.CallLater(TimeSpan.FromSeconds(5), () => events.Add("later"));
        });
        clock.Advance(TimeSpan.FromSeconds(2));
        // Inside the call the clock already reads 2, so "half" is due at 2.5 and "later" at 7.
        Assert.Equal(["first", "zero delay"], events);
        Assert.Equal(2, clock.GetDelayedCalls().Count);
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(["first", "zero delay", "half"], events);
    }

    [Fact]
    public void Cancel_FromInsideTheCall_ThrowsAlreadyCalled()
    {
        var clock = new Clock();
        IDelayedCall? call = null;
        Exception? error = null;
        call = clock.CallLater(TimeSpan.FromSeconds(1), () => error = Record.Exception(call!.Cancel));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.IsType<AlreadyCalledException>(error);
    }

    [Fact]
    public void Cancel_PendingCall_RemovedFromDelayedCalls()
    {
        var clock = new Clock();
        var ran = false;
        var call = clock.CallLater(TimeSpan.FromSeconds(1), () => ran = true);
        call.Cancel();
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(ran);
        Assert.Empty(clock.GetDelayedCalls());
        Assert.Throws<AlreadyCancelledException>(call.Cancel);
    }

    [Fact]
    public void Reset_Sooner_And_Later_Reorder()
    {
        var clock = new Clock();
        var order = new List<string>();
        var a = clock.CallLater(TimeSpan.FromSeconds(1), () => order.Add("a"));
        var b = clock.CallLater(TimeSpan.FromSeconds(2), () => order.Add("b"));
        a.Reset(TimeSpan.FromSeconds(3));
        b.Reset(TimeSpan.FromSeconds(0.5));
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(["b"], order);
        Assert.Equal(TimeSpan.FromSeconds(3), a.DueTime);
        clock.Advance(TimeSpan.FromSeconds(2.5));
        Assert.Equal(["b", "a"], order);
    }

    [Fact]
    public void Delay_MovesTheCallLater()
    {
        var clock = new Clock();
        var ran = false;
        var call = clock.CallLater(TimeSpan.FromSeconds(1), () => ran = true);
        call.Delay(TimeSpan.FromSeconds(2));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(ran);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(ran);
    }

    [Fact]
    public void Reset_InsideAnotherCall_KeepsCallsOrdered()
    {
        var clock = new Clock();
        var order = new List<string>();
        IDelayedCall? second = null;
        clock.CallLater(TimeSpan.FromSeconds(1), () =>
        {
            order.Add("first");
            second!.Reset(TimeSpan.FromSeconds(1));
        });
        second = clock.CallLater(TimeSpan.FromSeconds(1.5), () => order.Add("second"));
        clock.CallLater(TimeSpan.FromSeconds(1.75), () => order.Add("third"));
        clock.Pump([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(0.25), TimeSpan.FromSeconds(0.25)]);
        Assert.Equal(["first", "third", "second"], order);
    }

    [Fact]
    public void GetDelayedCalls_Empty_ReturnsEmpty() => Assert.Empty(new Clock().GetDelayedCalls());
}
