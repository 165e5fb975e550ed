using AsyncCore.Testing;
using StackExchange.Redis;

namespace AsyncCore.Redis.Tests;

/// <summary>Batches (pipelining): commands sent together, each with its own Deferred.</summary>
public sealed class BatchTests : ReactorTestBase
{
    [Fact]
    public Task Batch_SendsNothingBeforeExecute_ThenFiresEachReplyInOrder_WithItsOwnError() => RunOnReactor(async reactor =>
    {
        var redis = await RedisClient.Connect(reactor, RedisServer.Require());
        var key = RedisServer.Key("batch");
        var text = RedisServer.Key("batch-text");
        var hash = RedisServer.Key("batch-hash");
        await redis.Set(text, "abc");
        var order = new List<string>();
        var offThread = 0;
        void Seen(string what)
        {
            offThread += reactor.IsReactorThread ? 0 : 1;
            order.Add(what);
        }

        var batch = redis.CreateBatch();
        var set = batch.Set(key, "v").AddCallback(_ => Seen("set"));
        var incremented = batch.Increment(text).AddErrback(f =>
        {
            Seen("incr failed");
            return f;
        });
        var read = batch.Get(key).AddCallback(v => Seen("get " + v));
        var stored = batch.HashSet(hash, "f", "x").AddCallback(_ => Seen("hset"));
        var fetched = batch.HashGet(hash, "f").AddCallback(v => Seen("hget " + v));
        var counted = batch.Add(db => db.StringLengthAsync(text)).AddCallback(v => Seen("strlen " + v));
        Assert.Equal(6, batch.Count);
        Assert.Equal(0, redis.InFlight);
        Assert.False(await redis.Exists(key));   // nothing was sent

        var before = redis.HandOvers;
        await batch.Execute().AddCallback(_ => Seen("executed"));

        Assert.Equal(["set", "incr failed", "get v", "hset", "hget x", "strlen 3", "executed"], order);
        Assert.Equal(0, offThread);
        Assert.True(redis.HandOvers - before <= 2, "the batch's replies are handed over together");
        Assert.True(await set);
        await Assert.ThrowsAsync<RedisServerException>(() => incremented.AsTask(TestContext.Current.CancellationToken));
        Assert.Equal("v", (string?)await read);
        Assert.True(await stored);
        Assert.Equal("x", (string?)await fetched);
        Assert.Equal(3, await counted);
        Assert.Throws<InvalidOperationException>(() => batch.Execute());
        Assert.Throws<InvalidOperationException>(() => batch.Get(key));

        await redis.Execute("DEL", key, text, hash);
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task Batch_OnALazyClientThatCannotConnect_FailsExecute_AndLeavesTheCommandsUnfired() => RunOnReactor(async reactor =>
    {
        RedisServer.Require();
        var redis = RedisClient.ConnectLazily(reactor, "127.0.0.1:1,connectTimeout=1000");
        var batch = redis.CreateBatch();
        var get = batch.Get("k");
        await Assert.ThrowsAsync<RedisConnectionException>(() => batch.Execute().AsTask(TestContext.Current.CancellationToken));
        Assert.False(get.Called);
        await redis.CloseAsync();
        return true;
    });
}
