namespace AsyncCore.Enterprise.Tests;

/// <summary>Thread mode coalesces hand-backs under a backlog: every result still arrives, in order, on the reactor thread.</summary>
public sealed class HandBackTests
{
    [Fact]
    public async Task ABacklogOfFastCalls_EveryResultArrives_TheLastOnesWithoutFurtherCalls()
    {
        using var db = new SqliteDatabase();
        await using var harness = ReactorHarness.Running();
        var pool = await harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor, new ConnectionPoolOptions { Min = 2, Max = 2 }));
        const int calls = 500;
        var results = new TaskCompletionSource<List<long>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await harness.Run(() =>
        {
            // All submitted at once and nothing after: the workers hold results back while the queue is long, and must
            // hand over the last ones when the queue runs dry, with no later call to carry them.
            var arrived = new List<long>();
            for (var i = 0; i < calls; i++)
            {
                pool.RunQuery("SELECT ?", (long)i).AddCallbacks<object?>(
                    rows =>
                    {
                        arrived.Add(harness.Reactor.IsReactorThread ? (long)rows[0][0]! : -1);
                        if (arrived.Count == calls)
                        {
                            results.SetResult(arrived);
                        }
                        return (object?)null;
                    },
                    failure =>
                    {
                        results.TrySetException(failure.Value);
                        return (object?)null;
                    });
            }
            return 0;
        });
        var arrived = await results.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.DoesNotContain(-1, arrived);
        Assert.Equal(Enumerable.Range(0, calls).Select(i => (long)i), arrived.Order());
        await harness.Call(() => pool.Close());
    }

    [Fact]
    public async Task CallsSubmittedWhileResultsAreFired_WakeSleepingWorkersOnlyAfterTheBatch()
    {
        // A worker woken by the first call a callback submits could take the reactor's core before the rest of the batch
        // is fired, run that one call and sleep again: once per call. The pool wakes the sleepers once the batch is done.
        using var db = new SqliteDatabase();
        await using var harness = ReactorHarness.Running();
        var pool = await harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor, new ConnectionPoolOptions { Min = 2, Max = 2 }));
        var observedASleeper = false;
        for (var round = 0; round < 50 && !observedASleeper; round++)
        {
            // Let the workers fall asleep after the previous round.
            await Task.Delay(5, TestContext.Current.CancellationToken);
            var done = new TaskCompletionSource<(int Before, int After)>(TaskCreationOptions.RunContinuationsAsynchronously);
            await harness.Run(() =>
            {
                pool.RunQuery("SELECT 1").AddCallbacks<object?>(
                    _ =>
                    {
                        // Inside the batch's firing: the follow-up call is queued, no sleeping worker taken yet.
                        var before = pool.SleepingWorkers;
                        var followUp = pool.RunQuery("SELECT 2");
                        var after = pool.SleepingWorkers;
                        followUp.AddCallbacks<object?>(
                            rows =>
                            {
                                done.TrySetResult((before, after));
                                return (object?)null;
                            },
                            failure =>
                            {
                                done.TrySetException(failure.Value);
                                return (object?)null;
                            });
                        return (object?)null;
                    },
                    failure =>
                    {
                        done.TrySetException(failure.Value);
                        return (object?)null;
                    });
                return 0;
            });
            // The follow-up ran: the owed wake-up was paid when the batch ended.
            var (before, after) = await done.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.Equal(before, after);
            observedASleeper = before > 0;
        }
        Assert.True(observedASleeper, "no worker was ever asleep when a result was fired");
        await harness.Call(() => pool.Close());
    }

    [Fact]
    public async Task LoneCallsWhileTheWorkerFallsAsleep_EveryOneRuns()
    {
        // With every worker started, a call is queued without the pool's gate while the worker may be on its way to sleep:
        // each call here is submitted right as the worker finds the queue empty, the moment a missed wake-up would strand it.
        using var db = new SqliteDatabase();
        await using var harness = ReactorHarness.Running();
        var pool = await harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor, new ConnectionPoolOptions { Min = 1, Max = 1 }));
        const int calls = 2_000;
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await harness.Run(() =>
        {
            var count = 0;
            void Next()
            {
                pool.RunQuery("SELECT 1").AddCallbacks<object?>(
                    _ =>
                    {
                        if (++count == calls)
                        {
                            done.SetResult(count);
                        }
                        else if (count % 2 == 0)
                        {
                            // Submitted while the result is fired: the wake-up is paid when the batch ends.
                            Next();
                        }
                        else
                        {
                            // Submitted on its own reactor pass: the wake-up is decided at once.
                            harness.Reactor.CallFromThread(Next);
                        }
                        return (object?)null;
                    },
                    failure =>
                    {
                        done.TrySetException(failure.Value);
                        return (object?)null;
                    });
            }
            Next();
            return 0;
        });
        Assert.Equal(calls, await done.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        await harness.Call(() => pool.Close());
    }
}
