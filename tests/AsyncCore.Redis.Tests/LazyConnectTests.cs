using AsyncCore.Testing;
using StackExchange.Redis;

namespace AsyncCore.Redis.Tests;

/// <summary>A client that connects on first use: commands wait for the connection, or fail with its error.</summary>
public sealed class LazyConnectTests : ReactorTestBase
{
    [Fact]
    public Task CommandsIssuedBeforeTheConnection_WaitThenRunInOrder_OnTheReactorThread() => RunOnReactor(async reactor =>
    {
        var redis = RedisClient.ConnectLazily(reactor, RedisServer.Require());
        Assert.False(redis.IsConnected);
        Assert.Throws<InvalidOperationException>(() => redis.Multiplexer);
        Assert.Equal(0, redis.ConnectAttempts);

        var key = RedisServer.Key("lazy");
        var channel = RedisChannel.Literal(RedisServer.Key("lazy-chan"));
        var order = new List<string>();
        var offThread = 0;
        void Seen(string what)
        {
            offThread += reactor.IsReactorThread ? 0 : 1;
            order.Add(what);
        }
        var message = new Deferred<RedisValue>();
        var subscribed = redis.Subscribe(channel, (_, m) => message.Callback(m));
        var set = redis.Set(key, "a").AddCallback(_ => Seen("set"));
        var read = redis.Get(key).AddCallback(v => Seen("get " + v));
        var counted = redis.Increment(key + ":n").AddCallback(v => Seen("incr " + v));
        var tx = redis.CreateTransaction();
        var queued = tx.Increment(key + ":n", 10);
        var committed = tx.Execute().AddCallback(_ => Seen("exec"));
        Assert.Equal(4, redis.InFlight);
        Assert.Equal(1, redis.ConnectAttempts);

        await Deferred.GatherResults([set.AddCallback(_ => (object?)null), read.AddCallback(_ => (object?)null), counted.AddCallback(_ => (object?)null), committed.AddCallback(_ => (object?)null)]);
        Assert.Equal(["set", "get a", "incr 1", "exec"], order);
        Assert.Equal(11, await queued);
        Assert.Equal(0, offThread);
        Assert.True(redis.IsConnected);
        Assert.Equal(1, redis.ConnectAttempts);

        await subscribed;
        Assert.Equal(1, await redis.Publish(channel, "hello"));
        Assert.Equal("hello", (string?)await message);
        await redis.Execute("DEL", key, key + ":n");
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task FailedConnection_FailsEveryWaitingCommandWithTheError_AndTheNextCommandTriesAgain() => RunOnReactor(async reactor =>
    {
        RedisServer.Require();
        var redis = RedisClient.ConnectLazily(reactor, "127.0.0.1:1,connectTimeout=1000");
        var onReactor = 0;
        Deferred<T> Observed<T>(Deferred<T> d) => d.AddErrback(f =>
        {
            onReactor += reactor.IsReactorThread ? 1 : 0;
            return f;
        });
        var get = Observed(redis.Get("k"));
        var set = Observed(redis.Set("k", "v"));
        var subscribe = Observed(redis.Subscribe(RedisChannel.Literal("c"), (_, _) => { }));

        var ct = TestContext.Current.CancellationToken;
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => get.AsTask(ct));
        Assert.Contains("connect", error.Message, StringComparison.OrdinalIgnoreCase);
        await Assert.ThrowsAsync<RedisConnectionException>(() => set.AsTask(ct));
        await Assert.ThrowsAsync<RedisConnectionException>(() => subscribe.AsTask(ct));
        Assert.Equal(3, onReactor);
        Assert.Equal(1, redis.ConnectAttempts);
        Assert.Equal(0, redis.InFlight);

        await Assert.ThrowsAsync<RedisConnectionException>(() => redis.Get("k").AsTask(ct));
        Assert.Equal(2, redis.ConnectAttempts);
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task ClosedBeforeFirstUse_NeverConnects() => RunOnReactor(async reactor =>
    {
        var redis = RedisClient.ConnectLazily(reactor, RedisServer.Require());
        await redis.CloseAsync();
        Assert.Equal(0, redis.ConnectAttempts);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => redis.Get("k").AsTask(TestContext.Current.CancellationToken));
        Assert.Equal(0, redis.ConnectAttempts);
        return true;
    });
}
