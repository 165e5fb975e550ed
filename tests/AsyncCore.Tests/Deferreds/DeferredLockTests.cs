namespace AsyncCore.Tests.Deferreds;

/// <summary>DeferredLock (Twisted's OtherPrimitivesTests.testLock and the cancel cases).</summary>
public class DeferredLockTests
{
    [Fact]
    public void Acquire_ManyWaitersCancelled_ReleaseSkipsThemInOrder()
    {
        // 50,000 cancels used to rotate the whole queue each (quadratic: 12 s); now a cancel marks the waiter and the
        // queue is compacted once the cancelled outnumber the live ones.
        var theLock = new DeferredLock();
        _ = theLock.Acquire();
        var waiters = Enumerable.Range(0, 50_000).Select(_ => theLock.Acquire()).ToList();
        for (var i = 0; i < waiters.Count; i++)
        {
            if (i % 10_000 != 9_999)
            {
                waiters[i].Cancel();
                waiters[i].ConsumeFailure();
            }
        }

        Assert.Equal(5, theLock.WaitingCount);
        var order = new List<int>();
        for (var i = 9_999; i < waiters.Count; i += 10_000)
        {
            var index = i;
            _ = waiters[i].AddCallback(_ => order.Add(index));
        }
        for (var i = 0; i < 5; i++)
        {
            theLock.Release();
        }

        Assert.Equal([9_999, 19_999, 29_999, 39_999, 49_999], order);
        Assert.Equal(0, theLock.WaitingCount);
        Assert.True(theLock.Locked);
    }

    [Fact]
    public void Acquire_CancelledWaiterBeforeCompaction_IsNeverHandedTheLock()
    {
        var theLock = new DeferredLock();
        _ = theLock.Acquire();
        var first = theLock.Acquire();
        var second = theLock.Acquire();
        first.Cancel();
        first.ConsumeFailure();

        theLock.Release();

        Assert.True(second.HasResult);
        Assert.Same(theLock, second.Result);
        Assert.Equal(0, theLock.WaitingCount);
    }

    [Fact]
    public void Acquire_WhenFree_FiresSynchronouslyWithTheLock()
    {
        var lck = new DeferredLock();

        var d = lck.Acquire();

        Assert.Same(lck, DeferredAssert.SuccessResultOf(d));
        Assert.True(lck.Locked);
    }

    [Fact]
    public void Release_WithWaiters_HandsTheLockToTheOldestSynchronously()
    {
        var lck = new DeferredLock();
        var order = new List<string>();
        lck.Acquire();
        lck.Acquire().AddCallback(_ => order.Add("second"));
        lck.Acquire().AddCallback(_ => order.Add("third"));
        Assert.Equal(2, lck.WaitingCount);

        lck.Release();
        Assert.Equal(["second"], order);
        Assert.True(lck.Locked);

        lck.Release();
        Assert.Equal(["second", "third"], order);

        lck.Release();
        Assert.False(lck.Locked);
    }

    [Fact]
    public void Release_WhenNotLocked_Throws()
    {
        Assert.Throws<InvalidOperationException>(new DeferredLock().Release);
    }

    [Fact]
    public void Run_FunctionReturningUnfiredDeferred_HoldsLockUntilItFires()
    {
        var lck = new DeferredLock();
        var work = new Deferred<int>();

        var result = lck.Run(() => work);

        Assert.True(lck.Locked);
        DeferredAssert.AssertNoResult(result);
        work.Callback(3);
        Assert.Equal(3, DeferredAssert.SuccessResultOf(result));
        Assert.False(lck.Locked);
    }

    [Fact]
    public void Run_WhileLocked_WaitsThenRunsFunction()
    {
        var lck = new DeferredLock();
        lck.Acquire();
        var ran = false;

        var result = lck.Run(() =>
        {
            ran = true;
            return 1;
        });

        Assert.False(ran);
        lck.Release();
        Assert.True(ran);
        Assert.Equal(1, DeferredAssert.SuccessResultOf(result));
        Assert.False(lck.Locked);
    }

    [Fact]
    public void Run_FunctionFails_ReleasesAndPassesFailureOn()
    {
        var lck = new DeferredLock();
        var work = new Deferred<int>();
        var result = lck.Run(() => work);
        var error = new IOException();

        work.Errback(error);

        Assert.Same(error, DeferredAssert.FailureResultOf(result).Value);
        Assert.False(lck.Locked);
    }

    [Fact]
    public void Run_FunctionThrowsSynchronously_ReleasesAndFails()
    {
        var lck = new DeferredLock();

        var result = lck.Run(int () => throw new FormatException());

        DeferredAssert.FailureResultOf(result, typeof(FormatException));
        Assert.False(lck.Locked);
    }

    [Fact]
    public void Cancel_WaitingAcquire_RemovesItFromTheQueue()
    {
        var lck = new DeferredLock();
        lck.Acquire();
        var waiting = lck.Acquire();
        var next = lck.Acquire();

        waiting.Cancel();

        DeferredAssert.FailureResultOf(waiting, typeof(CancelledException));
        Assert.Equal(1, lck.WaitingCount);
        lck.Release();
        Assert.Same(lck, DeferredAssert.SuccessResultOf(next));
    }

    [Fact]
    public void Cancel_AcquiredLock_DoesNothing()
    {
        var lck = new DeferredLock();
        var acquired = lck.Acquire();

        acquired.Cancel();

        Assert.True(lck.Locked);
        Assert.Same(lck, DeferredAssert.SuccessResultOf(acquired));
    }
}
