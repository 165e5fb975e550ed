using AsyncCore.Reactors;
using AsyncCore.Testing;
using StackExchange.Redis;

namespace AsyncCore.Redis.Tests;

/// <summary>Publish and subscribe against the real server.</summary>
public sealed class PubSubTests : ReactorTestBase
{
    private static Deferred<RedisClient> Connect(EventLoopReactor reactor) => RedisClient.Connect(reactor, RedisServer.Require());

    [Fact]
    public Task Messages_ArriveInOrderOnTheReactorThread() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var channel = RedisChannel.Literal(RedisServer.Key("chan"));
        const int count = 100_000;
        var received = new List<long>(count);
        var offThread = 0;
        var all = new Deferred<object?>();
        var subscription = await redis.Subscribe(channel, (_, message) =>
        {
            if (!reactor.IsReactorThread)
            {
                offThread++;
            }
            received.Add((long)message);
            if (received.Count == count)
            {
                all.Callback(null);
            }
        });

        var publishes = new Deferred<long>[count];
        for (var i = 0; i < count; i++)
        {
            publishes[i] = redis.Publish(channel, i);
            await RedisServer.Breathe(reactor, i);
        }
        var receivers = await Deferred.GatherResults(publishes);
        await all;

        Assert.All(receivers, r => Assert.Equal(1, r));
        Assert.Equal(0, offThread);
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), received);
        await subscription.Unsubscribe();
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task Pattern_ReceivesEveryMatchingChannel_UntilUnsubscribed() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var stem = RedisServer.Key("news");
        var got = new List<string>();
        var two = new Deferred<object?>();
        var subscription = await redis.Subscribe(RedisChannel.Pattern(stem + ".*"), (channel, message) =>
        {
            got.Add($"{channel}={message}");
            if (got.Count == 2)
            {
                two.Callback(null);
            }
        });

        Assert.Equal(1, await redis.Publish(RedisChannel.Literal(stem + ".a"), "1"));
        Assert.Equal(0, await redis.Publish(RedisChannel.Literal(stem + "-other"), "x"));
        Assert.Equal(1, await redis.Publish(RedisChannel.Literal(stem + ".b"), "2"));
        await two;
        Assert.Equal([$"{stem}.a=1", $"{stem}.b=2"], got);

        await subscription.Unsubscribe();
        Assert.Equal(0, await redis.Publish(RedisChannel.Literal(stem + ".c"), "3"));
        // A round trip after the publish: a message delivered late would have been handed over by now.
        await redis.Execute("PING");
        Assert.Equal(2, got.Count);
        await redis.CloseAsync();
        return true;
    });
}
