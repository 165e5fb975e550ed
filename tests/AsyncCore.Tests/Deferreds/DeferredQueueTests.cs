namespace AsyncCore.Tests.Deferreds;

/// <summary>DeferredQueue (Twisted's OtherPrimitivesTests.testQueue and the cancel cases).</summary>
public class DeferredQueueTests
{
    [Fact]
    public void Get_WithPendingItems_FiresAtOnceInFifoOrder()
    {
        var queue = new DeferredQueue<int>();
        queue.Put(1);
        queue.Put(2);

        Assert.Equal(1, DeferredAssert.SuccessResultOf(queue.Get()));
        Assert.Equal(2, DeferredAssert.SuccessResultOf(queue.Get()));
        Assert.Equal(0, queue.PendingCount);
    }

    [Fact]
    public void Put_WithWaitingGetters_FiresTheOldestSynchronously()
    {
        var queue = new DeferredQueue<string>();
        var first = queue.Get();
        var second = queue.Get();
        Assert.Equal(2, queue.WaitingCount);

        queue.Put("a");

        Assert.Equal("a", DeferredAssert.SuccessResultOf(first));
        Assert.False(second.Called);
        queue.Put("b");
        Assert.Equal("b", DeferredAssert.SuccessResultOf(second));
        Assert.Equal(0, queue.PendingCount);
    }

    [Fact]
    public void Put_PastSize_ThrowsQueueOverflowSynchronously()
    {
        var queue = new DeferredQueue<int>(size: 2);
        queue.Put(1);
        queue.Put(2);

        Assert.Throws<QueueOverflowException>(() => queue.Put(3));
        Assert.Equal(2, queue.PendingCount);
    }

    [Fact]
    public void Put_SizeZero_OverflowsUnlessAGetterWaits()
    {
        var queue = new DeferredQueue<int>(size: 0);

        Assert.Throws<QueueOverflowException>(() => queue.Put(1));
        var getter = queue.Get();
        queue.Put(2);
        Assert.Equal(2, DeferredAssert.SuccessResultOf(getter));
    }

    [Fact]
    public void Get_PastBacklog_ThrowsQueueUnderflowSynchronously()
    {
        var queue = new DeferredQueue<int>(backlog: 1);
        queue.Get();

        Assert.Throws<QueueUnderflowException>(() => queue.Get());
        Assert.Equal(1, queue.WaitingCount);
    }

    [Fact]
    public void Get_BacklogZero_UnderflowsUnlessAnItemIsPending()
    {
        var queue = new DeferredQueue<int>(backlog: 0);

        Assert.Throws<QueueUnderflowException>(() => queue.Get());
        queue.Put(4);
        Assert.Equal(4, DeferredAssert.SuccessResultOf(queue.Get()));
    }

    [Fact]
    public void Constructor_NegativeBounds_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeferredQueue<int>(size: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeferredQueue<int>(backlog: -1));
    }

    [Fact]
    public void Cancel_WaitingGet_IsRemovedSoTheNextPutSkipsIt()
    {
        var queue = new DeferredQueue<int>();
        var cancelled = queue.Get();
        var next = queue.Get();

        cancelled.Cancel();
        queue.Put(7);

        DeferredAssert.FailureResultOf(cancelled, typeof(CancelledException));
        Assert.Equal(7, DeferredAssert.SuccessResultOf(next));
        Assert.Equal(0, queue.WaitingCount);
    }

    [Fact]
    public void Cancel_OnlyWaitingGet_NextPutBecomesPending()
    {
        var queue = new DeferredQueue<int>();
        var getter = queue.Get();

        getter.Cancel();
        queue.Put(1);

        Assert.Equal(1, queue.PendingCount);
        DeferredAssert.FailureResultOf(getter, typeof(CancelledException));
    }

    [Fact]
    public void Cancel_AfterSynchronousGet_KeepsTheItem()
    {
        var queue = new DeferredQueue<int>();
        queue.Put(3);
        var got = queue.Get();

        got.Cancel();

        Assert.Equal(3, DeferredAssert.SuccessResultOf(got));
    }

    [Fact]
    public void Cancel_WaitingGetFreesBacklog_AnotherGetIsAllowed()
    {
        var queue = new DeferredQueue<int>(backlog: 1);
        var getter = queue.Get();

        getter.Cancel();

        var another = queue.Get();
        Assert.False(another.Called);
        getter.ConsumeFailure();
    }
}
