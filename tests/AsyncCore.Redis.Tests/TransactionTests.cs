using AsyncCore.Reactors;
using AsyncCore.Testing;
using StackExchange.Redis;

namespace AsyncCore.Redis.Tests;

/// <summary>MULTI/EXEC with conditions against the real server.</summary>
public sealed class TransactionTests : ReactorTestBase
{
    private static Deferred<RedisClient> Connect(EventLoopReactor reactor) => RedisClient.Connect(reactor, RedisServer.Require());

    [Fact]
    public Task Committed_FiresTheQueuedRepliesInOrderBeforeExecute() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var key = RedisServer.Key("tx");
        var counter = RedisServer.Key("tx-counter");
        var order = new List<string>();
        var tx = redis.CreateTransaction().AddCondition(Condition.KeyNotExists(key));
        var set = tx.Set(key, "v").AddCallback(_ => order.Add("set"));
        var incremented = tx.Increment(counter, 5).AddCallback(_ => order.Add("incr"));
        var read = tx.Get(key).AddCallback(_ => order.Add("get"));
        var committed = await tx.Execute().AddCallback(_ => order.Add("exec"));

        Assert.True(committed);
        Assert.Equal(["set", "incr", "get", "exec"], order);
        Assert.True(await set);
        Assert.Equal(5, await incremented);
        Assert.Equal("v", (string?)await read);
        Assert.Throws<InvalidOperationException>(() => tx.Execute());

        await redis.Delete(key);
        await redis.Delete(counter);
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task WithConditions_CommandsIssuedAfterExecuteRunAfterIt() => RunOnReactor(async reactor =>
    {
        // StackExchange.Redis writes a conditional transaction by waiting for the conditions' replies on the writing
        // thread, so the client writes it off the reactor thread; what is issued after Execute still reaches Redis after
        // the transaction, not before it.
        var redis = await Connect(reactor);
        var key = RedisServer.Key("tx-order");
        Assert.True((await redis.Get(key)).IsNull);
        var tx = redis.CreateTransaction().AddCondition(Condition.KeyNotExists(key));
        _ = tx.Set(key, "from the transaction");
        var committed = tx.Execute();
        var readAfter = redis.Get(key);
        var overwrittenAfter = redis.Set(key, "after");
        var readLast = redis.Get(key);

        Assert.True(await committed);
        Assert.Equal("from the transaction", (string?)await readAfter);
        Assert.True(await overwrittenAfter);
        Assert.Equal("after", (string?)await readLast);
        Assert.True(reactor.IsReactorThread);
        await redis.Delete(key);
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task WatchedKeyChanged_AbortsWithFalse_AndNothingRuns() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var key = RedisServer.Key("watched");
        await redis.Set(key, "v1");

        var tx = redis.CreateTransaction().AddCondition(Condition.StringEqual(key, "v1"));
        var queued = tx.Set(key, "from-transaction");
        await redis.Set(key, "changed");   // a concurrent writer, before EXEC
        var committed = await tx.Execute();

        Assert.False(committed);
        Assert.False(queued.Called);
        Assert.Equal("changed", (string?)await redis.Get(key));
        await redis.Delete(key);
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task CommandErrorInsideACommittedTransaction_FailsOnlyThatCommand() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var key = RedisServer.Key("tx-wrongtype");
        await redis.Set(key, "text");

        var tx = redis.CreateTransaction();
        var bad = tx.Increment(key);
        var good = tx.Get(key);
        Assert.True(await tx.Execute());

        await Assert.ThrowsAsync<RedisServerException>(() => bad.AsTask(TestContext.Current.CancellationToken));
        Assert.Equal("text", (string?)await good);
        await redis.Delete(key);
        await redis.CloseAsync();
        return true;
    });
}
