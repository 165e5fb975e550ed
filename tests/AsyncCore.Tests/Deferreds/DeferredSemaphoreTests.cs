namespace AsyncCore.Tests.Deferreds;

/// <summary>DeferredSemaphore (Twisted's OtherPrimitivesTests.testSemaphore and the cancel cases).</summary>
public class DeferredSemaphoreTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_FewerThanOneToken_Throws(int tokens)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeferredSemaphore(tokens));
    }

    [Fact]
    public void Acquire_UpToTheLimit_FiresSynchronouslyThenWaits()
    {
        var sem = new DeferredSemaphore(2);

        var first = sem.Acquire();
        var second = sem.Acquire();
        var third = sem.Acquire();

        Assert.True(first.Called);
        Assert.True(second.Called);
        Assert.False(third.Called);
        Assert.Equal(0, sem.Tokens);
        Assert.Equal(2, sem.Limit);
        Assert.Equal(1, sem.WaitingCount);
    }

    [Fact]
    public void Release_WithWaiter_HandsTheTokenOver()
    {
        var sem = new DeferredSemaphore(1);
        sem.Acquire();
        var waiting = sem.Acquire();

        sem.Release();

        Assert.Same(sem, DeferredAssert.SuccessResultOf(waiting));
        Assert.Equal(0, sem.Tokens);
        sem.Release();
        Assert.Equal(1, sem.Tokens);
    }

    [Fact]
    public void Release_MoreThanAcquired_Throws()
    {
        var sem = new DeferredSemaphore(2);
        sem.Acquire();
        sem.Release();

        Assert.Throws<InvalidOperationException>(sem.Release);
    }

    [Fact]
    public void Run_ManyCalls_NeverMoreThanLimitRunAtOnce()
    {
        var sem = new DeferredSemaphore(2);
        var running = 0;
        var maxRunning = 0;
        var pending = new Queue<Deferred<int>>();
        var results = new List<Deferred<int>>();
        for (var i = 0; i < 6; i++)
        {
            var n = i;
            results.Add(sem.Run(() =>
            {
                running++;
                maxRunning = Math.Max(maxRunning, running);
                var work = new Deferred<int>();
                work.AddCallback(x =>
                {
                    running--;
                    return x;
                });
                pending.Enqueue(work);
                return work.AddCallback(x => x + n);
            }));
        }
        Assert.Equal(2, pending.Count);

        while (pending.TryDequeue(out var work))
        {
            work.Callback(100);
        }

        Assert.Equal(2, maxRunning);
        Assert.Equal([100, 101, 102, 103, 104, 105], results.Select(DeferredAssert.SuccessResultOf));
        Assert.Equal(2, sem.Tokens);
    }

    [Fact]
    public void Run_FunctionFails_ReleasesTheToken()
    {
        var sem = new DeferredSemaphore(1);

        var result = sem.Run(int () => throw new IOException());

        DeferredAssert.FailureResultOf(result, typeof(IOException));
        Assert.Equal(1, sem.Tokens);
    }

    [Fact]
    public void Cancel_WaitingAcquire_RemovesItAndFailsIt()
    {
        var sem = new DeferredSemaphore(1);
        sem.Acquire();
        var waiting = sem.Acquire();

        waiting.Cancel();

        DeferredAssert.FailureResultOf(waiting, typeof(CancelledException));
        Assert.Equal(0, sem.WaitingCount);
        sem.Release();
        Assert.Equal(1, sem.Tokens);
    }

    [Fact]
    public void Cancel_AcquiredToken_DoesNothing()
    {
        var sem = new DeferredSemaphore(1);
        var acquired = sem.Acquire();

        acquired.Cancel();

        Assert.Equal(0, sem.Tokens);
        Assert.Same(sem, DeferredAssert.SuccessResultOf(acquired));
    }
}
