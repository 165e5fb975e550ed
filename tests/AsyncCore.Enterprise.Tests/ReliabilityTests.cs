namespace AsyncCore.Enterprise.Tests;

/// <summary>Misuse and stuck work: the pool fails clearly instead of hanging, corrupting or growing for ever.</summary>
public sealed class ReliabilityTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReactorStop_WithAnInteractionThatNeverReturns_StopsAfterTheGracePeriod()
    {
        using var db = new SqliteDatabase();
        await using var harness = ReactorHarness.Running();
        var pool = await harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor,
            new ConnectionPoolOptions { Min = 1, Max = 1, ShutdownGracePeriod = TimeSpan.FromMilliseconds(100) }));
        using var started = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var stuck = harness.Call(() => pool.RunInteraction(txn =>
        {
            started.Set();
            gate.Wait(TimeSpan.FromSeconds(60));
            return 1;
        }));
        Assert.True(started.Wait(Guard, TestContext.Current.CancellationToken));
        try
        {
            // Without the grace period the shutdown trigger waits for the pool's close, which waits for the interaction.
            await harness.StopAsync().WaitAsync(Guard, TestContext.Current.CancellationToken);
            await Assert.ThrowsAsync<ConnectionPoolClosedException>(() => stuck);
            Assert.True(pool.Closed);
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public async Task PoolMethods_OffTheReactorThreadWhileItRuns_Throw()
    {
        using var db = new SqliteDatabase();
        await using var harness = ReactorHarness.Running();
        var pool = await harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor));
        var error = Assert.Throws<InvalidOperationException>(() => pool.RunQuery("SELECT 1"));
        Assert.Contains("off the reactor thread", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => pool.Close());
        await harness.Call(() => pool.Close());
    }

    [Fact]
    public async Task SqlCache_IsBounded_AndEmptiedByClose()
    {
        using var db = new SqliteDatabase();
        await using var harness = ReactorHarness.Running();
        var pool = await harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor, new ConnectionPoolOptions { Min = 1, Max = 1 }));
        // 3 x the capacity of distinct texts, through the pool.
        var total = ProviderInfo.SqlCacheCapacity * 3;
        var last = await harness.Run(() =>
        {
            Deferred<IReadOnlyList<long>>? d = null;
            for (var i = 0; i < total; i++)
            {
                d = pool.RunQuery<long>("SELECT " + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            return d!.AsTask();
        });
        Assert.Equal([total - 1L], await last.WaitAsync(Guard, TestContext.Current.CancellationToken));
        var texts = pool.Provider!.Texts;
        Assert.Equal(ProviderInfo.SqlCacheCapacity, texts.Count);
        await harness.Call(() => pool.Close());
        Assert.Equal(0, texts.Count);
    }

    [Theory]
    [InlineData("GetUser(); DROP TABLE users; --")]
    [InlineData("get_user(1) UNION SELECT * FROM secrets --")]
    [InlineData("x'y")]
    [InlineData("a b")]
    [InlineData("1abc")]
    [InlineData("schema..name")]
    public async Task StoredProcedure_NameThatIsNotAnIdentifier_IsRefused(string method)
    {
        using var db = new SqliteDatabase();
        await using var harness = ReactorHarness.Running();
        var pool = await harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, harness.Reactor));
        var proxy = pool.StoredProcedures(new() { Prefix = "", SnakeCase = false });
        Assert.Throws<ArgumentException>(() => proxy.SqlFor(method, 0));
        await Assert.ThrowsAsync<ArgumentException>(() => harness.Call(() => proxy.Call(method)));
        Assert.Equal("SELECT * FROM app.function_get_user(@p0)", pool.StoredProcedures(new() { Prefix = "app.function_" }).SqlFor("GetUser", 1));
        await harness.Call(() => pool.Close());
    }
}
