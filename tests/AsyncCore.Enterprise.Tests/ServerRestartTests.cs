using AsyncCore.Protocols;

namespace AsyncCore.Enterprise.Tests;

/// <summary>Restarting the server cuts every connection, so these run alone, after the parallel tests.</summary>
[CollectionDefinition(nameof(ServerRestartCollection), DisableParallelization = true)]
public sealed class ServerRestartCollection;

/// <summary>
/// The server restarts in the middle of a run (test_adbapi's ReconnectTestBase, for real): with Reconnect on, the calls in
/// flight fail with <see cref="ConnectionLostException"/>, no committed row is lost, and every later call succeeds on
/// fresh connections, including those on workers whose connections were idle during the restart.
/// </summary>
public abstract class ServerRestartTests : IAsyncLifetime
{
    private Database? _db;
    private ReactorHarness? _harness;

    protected abstract Database CreateDatabase();

    protected abstract PoolMode Mode { get; }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
        _db?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task ServerRestart_MidRun_OnlyInFlightCallsFailAndNoCommittedRowIsLost()
    {
        var db = _db = CreateDatabase();
        var harness = _harness = ReactorHarness.Running();
        var options = new ConnectionPoolOptions { Min = 4, Max = 4, Reconnect = true, Mode = Mode };
        var pool = await harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor, options));
        var table = Database.Table("restart");
        await harness.Call(() => pool.RunOperation($"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name VARCHAR(100))"));

        // Committed before the restart, on every connection of the pool.
        var before = Enumerable.Range(0, 40).Select(i => harness.Call(() =>
            pool.RunOperation($"INSERT INTO {table} (id, name) VALUES ({db.P(0)}, {db.P(1)})", i, "before")));
        await Task.WhenAll(before);

        // Two calls in flight when the server goes down.
        var sleep = db.Sleep(60)!;
        var inFlight = new[] { harness.Call(() => pool.RunQuery(sleep)), harness.Call(() => pool.RunQuery(sleep)) };
        await WaitUntilSleeping(db);
        db.Restart();

        foreach (var call in inFlight)
        {
            var error = await Assert.ThrowsAsync<ConnectionLostException>(() => call);
            Assert.NotNull(error.InnerException);
        }

        // After the restart every call succeeds: the connections that were idle are probed and replaced before use.
        var after = Enumerable.Range(100, 40).Select(i => harness.Call(() =>
            pool.RunOperation($"INSERT INTO {table} (id, name) VALUES ({db.P(0)}, {db.P(1)})", i, "after")));
        Assert.All(await Task.WhenAll(after), affected => Assert.Equal(1, affected));

        var counts = await harness.Call(() => pool.RunQuery($"SELECT name, COUNT(*) FROM {table} GROUP BY name ORDER BY name"));
        Assert.Equal([("after", 40L), ("before", 40L)], counts.Select(r => (r.Get<string>(0), r.Get<long>(1))));
        await harness.Call(() => pool.Close());
    }

    // The in-flight calls must really be running on the server when it goes down.
    private static async Task WaitUntilSleeping(Database db)
    {
        var query = db is PostgresDatabase
            ? "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'"
            : "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP%'";
        for (var i = 0; i < 600; i++)
        {
            if (Convert.ToInt64(db.Direct(query), System.Globalization.CultureInfo.InvariantCulture) >= 2)
            {
                return;
            }
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        Assert.Fail("The in-flight calls never reached the server.");
    }
}

[Collection(nameof(ServerRestartCollection))]
public sealed class PostgresServerRestartTests : ServerRestartTests
{
    protected override Database CreateDatabase() => new PostgresDatabase();

    protected override PoolMode Mode => PoolMode.Threads;
}

[Collection(nameof(ServerRestartCollection))]
public sealed class PostgresAsyncServerRestartTests : ServerRestartTests
{
    protected override Database CreateDatabase() => new PostgresDatabase();

    protected override PoolMode Mode => PoolMode.Async;
}

[Collection(nameof(ServerRestartCollection))]
public sealed class MariaDbServerRestartTests : ServerRestartTests
{
    protected override Database CreateDatabase() => new MariaDbDatabase();

    protected override PoolMode Mode => PoolMode.Threads;
}

[Collection(nameof(ServerRestartCollection))]
public sealed class MariaDbAsyncServerRestartTests : ServerRestartTests
{
    protected override Database CreateDatabase() => new MariaDbDatabase();

    protected override PoolMode Mode => PoolMode.Async;
}
