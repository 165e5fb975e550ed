using System.Diagnostics;

namespace AsyncCore.Enterprise.Tests;

/// <summary>The pool under constant load leaves the reactor thread free for its other work between batches.</summary>
public sealed class ReactorFairnessTests
{
    [Theory]
    [InlineData(PoolMode.Threads)]
    [InlineData(PoolMode.Async)]
    public async Task CallbacksThatIssueNewCalls_DoNotHoldTheReactor_ATimerStillFires(PoolMode mode)
    {
        using var db = new SqliteDatabase();
        await using var harness = ReactorHarness.Running();
        var pool = await harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor, new ConnectionPoolOptions { Min = 2, Max = 2, Mode = mode }));
        var timerFired = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var loadEnded = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await harness.Run(() =>
        {
            long completed = 0;
            // Only reached when the timer never fires amid the load (the failure); 2 s could pass first on a loaded
            // machine, counted from before the pool had answered its first call.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            // Each completion issues the next call at once, until the timer has fired (or the deadline passed): a
            // reactor that fires finished calls until none is left never gets to the timer while the load lasts.
            Func<IReadOnlyList<Row>, object?>? next = null;
            next = rows =>
            {
                if (completed++ == 0)
                {
                    harness.Reactor.CallLater(TimeSpan.FromMilliseconds(50), () => timerFired.SetResult(completed));
                }
                // Callbacks do some work of their own: meanwhile the workers finish more calls, so finished calls never
                // run out while the reactor fires them.
                var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10_000;
                while (Stopwatch.GetTimestamp() < until)
                {
                }
                if (!timerFired.Task.IsCompleted && DateTime.UtcNow < deadline)
                {
                    pool.RunQuery("SELECT 1").AddCallback(next!);
                }
                else
                {
                    loadEnded.TrySetResult(timerFired.Task.IsCompleted);
                }
                return null;
            };
            for (var i = 0; i < 50; i++)
            {
                pool.RunQuery("SELECT 1").AddCallback(next);
            }
            return 0;
        });
        // The load ended because the timer fired in its midst, not because the deadline passed first.
        Assert.True(await loadEnded.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken), "the timer did not fire while calls kept completing");
        Assert.True(await timerFired.Task > 0);
        await harness.Call(() => pool.Close());
    }
}
