using AsyncCore.Reactor;

namespace AsyncCore.Tests.Reactor;

/// <summary>From Twisted's test_threadpool.py.</summary>
public class ReactorThreadPoolTests
{
    [Fact]
    public void Constructor_InvalidBounds_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReactorThreadPool(-1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReactorThreadPool(5, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReactorThreadPool(0, 0));
    }

    [Fact]
    public void Start_CreatesMinThreads()
    {
        var pool = new ReactorThreadPool(3, 5);
        Assert.Equal(0, pool.Workers);
        pool.Start();
        Assert.Equal(3, pool.Workers);
        pool.Stop();
        Assert.Equal(0, pool.Workers);
        Assert.True(pool.Joined);
    }

    [Fact]
    public void CallInThread_WorkQueuedBeforeStart_RunsAfterStart()
    {
        var pool = new ReactorThreadPool(0, 2);
        var done = new CountdownEvent(3);
        for (var i = 0; i < 3; i++)
        {
            pool.CallInThread(() => done.Signal());
        }
        Assert.Equal(3, pool.QueueLength);
        Assert.False(done.IsSet);
        pool.Start();
        Assert.True(done.Wait(ReactorTestSupport.Patience, TestContext.Current.CancellationToken));
        pool.Stop();
    }

    [Fact]
    public void CallInThread_ManyBlockingItems_NeverExceedsMaxThreads()
    {
        var pool = new ReactorThreadPool(0, 3);
        pool.Start();
        var concurrent = 0;
        var peak = 0;
        var done = new CountdownEvent(30);
        for (var i = 0; i < 30; i++)
        {
            pool.CallInThread(() =>
            {
                var now = Interlocked.Increment(ref concurrent);
                InterlockedMax(ref peak, now);
                Thread.Sleep(2);
                Interlocked.Decrement(ref concurrent);
                done.Signal();
            });
        }
        Assert.True(done.Wait(ReactorTestSupport.Patience, TestContext.Current.CancellationToken));
        Assert.InRange(peak, 1, 3);
        Assert.InRange(pool.Workers, 1, 3);
        pool.Stop();
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    [Fact]
    public void Stop_LetsQueuedWorkFinishThenDropsNewWork()
    {
        var pool = new ReactorThreadPool(1, 1);
        pool.Start();
        var ran = 0;
        for (var i = 0; i < 5; i++)
        {
            pool.CallInThread(() =>
            {
                Thread.Sleep(1);
                Interlocked.Increment(ref ran);
            });
        }
        pool.Stop();
        Assert.Equal(5, ran);
        pool.CallInThread(() => Interlocked.Increment(ref ran));
        Assert.Equal(0, pool.QueueLength);
        Assert.Equal(5, ran);
    }

    [Fact]
    public void CallInThreadWithCallback_ReportsValueAndFailureOnTheWorkerThread()
    {
        var pool = new ReactorThreadPool(0, 1, "cb");
        pool.Start();
        var outcomes = new List<(bool Succeeded, string? Thread)>();
        var done = new CountdownEvent(2);
        pool.CallInThreadWithCallback<int>(o => { outcomes.Add((o.Succeeded, Thread.CurrentThread.Name)); done.Signal(); }, () => 1);
        pool.CallInThreadWithCallback<int>(o => { outcomes.Add((o.Succeeded, Thread.CurrentThread.Name)); done.Signal(); }, () => throw new FormatException());
        Assert.True(done.Wait(ReactorTestSupport.Patience, TestContext.Current.CancellationToken));
        pool.Stop();
        Assert.Equal([true, false], outcomes.Select(o => o.Succeeded));
        Assert.All(outcomes, o => Assert.StartsWith("cb-", o.Thread, StringComparison.Ordinal));
    }

    [Fact]
    public void CallInThread_FlowsTheCallersExecutionContext()
    {
        var pool = new ReactorThreadPool(0, 1);
        pool.Start();
        var local = new AsyncLocal<string>();
        string? seen = null;
        var done = new ManualResetEventSlim();
        local.Value = "request-42";
        pool.CallInThread(() =>
        {
            seen = local.Value;
            done.Set();
        });
        done.WaitOrFail("the work");
        pool.Stop();
        Assert.Equal("request-42", seen);
    }

    [Fact]
    public void CallInThread_WorkThrows_IsLoggedAndThePoolKeepsWorking()
    {
        var pool = new ReactorThreadPool(0, 1);
        pool.Start();
        var done = new ManualResetEventSlim();
        pool.CallInThread(() => throw new InvalidOperationException("expected in this test"));
        pool.CallInThread(done.Set);
        done.WaitOrFail("work after the failing item");
        pool.Stop();
    }

    [Fact]
    public void AdjustPoolSize_WhenStarted_GrowsToTheNewMinimum()
    {
        var pool = new ReactorThreadPool(0, 2);
        pool.Start();
        pool.AdjustPoolSize(4, 6);
        Assert.Equal(4, pool.Workers);
        Assert.Equal(6, pool.MaxThreads);
        pool.Stop();
    }
}
