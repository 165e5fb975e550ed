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
}
