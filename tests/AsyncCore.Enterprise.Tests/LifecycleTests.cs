namespace AsyncCore.Enterprise.Tests;

/// <summary>adbapi's ConnectionPoolTests: the pool follows the reactor's startup and shutdown.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task Pool_CreatedBeforeTheReactorRuns_StartsWithItAndRunsTheQueuedCalls()
    {
        using var db = new SqliteDatabase();
        await using var harness = ReactorHarness.NotYetRunning();
        var pool = new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor);
        Assert.False(pool.Running);
        var early = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = pool.RunQuery<int>("SELECT 42").AddCallbacks<object?>(
            rows => { early.SetResult(harness.Reactor.IsReactorThread ? rows[0] : "off the reactor thread"); return (object?)null; },
            failure => { early.SetException(failure.Value); return (object?)null; });
        harness.Start();
        Assert.Equal(42, await early.Task);
        Assert.True(await harness.Run(() => pool.Running));
    }

    [Fact]
    public async Task Close_BeforeTheReactorRuns_FailsTheQueuedCallsAndNeverStarts()
    {
        using var db = new SqliteDatabase();
        await using var harness = ReactorHarness.NotYetRunning();
        var pool = new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor);
        var queued = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = pool.RunQuery("SELECT 1").AddCallbacks<object?>(
            rows => { queued.SetException(new InvalidOperationException("the call ran")); return (object?)null; },
            failure => { queued.SetResult(failure.Value); return (object?)null; });
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = pool.Close().AddCallback(_ => closed.SetResult());
        harness.Start();
        Assert.IsType<ConnectionPoolClosedException>(await queued.Task);
        await closed.Task;
        Assert.False(await harness.Run(() => pool.Running));
    }

    [Fact]
    public async Task Close_RemovesTheShutdownTrigger_SoTheReactorStopsWithoutClosingAgain()
    {
        using var db = new SqliteDatabase();
        await using var harness = ReactorHarness.Running();
        var pool = await harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor));
        await harness.Call(() => pool.Close());
        await harness.StopAsync();
        Assert.True(pool.Closed);
    }

    [Fact]
    public async Task DisposeAsync_FromAnotherThread_ClosesThePoolAndWaitsForTheClose()
    {
        using var db = new SqliteDatabase();
        await using var harness = ReactorHarness.Running();
        var pool = await harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor));
        Assert.Equal(42, (await harness.Call(() => pool.RunQuery<int>("SELECT 42")))[0]);
        await pool.DisposeAsync();
        // The close has finished, not just begun: closing again is already done.
        Assert.True(await harness.Run(() => pool.Closed && pool.Close().Called));
    }
}
