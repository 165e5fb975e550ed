using AsyncCore.Reactors;
using AsyncCore.Testing;
using StackExchange.Redis;

namespace AsyncCore.Redis.Tests;

/// <summary>Tests that restart the shared server run alone, so that no other test loses its connection.</summary>
[CollectionDefinition(nameof(RedisRestartCollection), DisableParallelization = true)]
public sealed class RedisRestartCollection;

/// <summary>The server restarted under a connected client.</summary>
[Collection(nameof(RedisRestartCollection))]
public sealed class ServerRestartTests : ReactorTestBase
{
    [Fact]
    public Task Restart_RaisesFailedAndRestoredOnTheReactor_AndTheSubscriptionComesBack() => RunOnReactor(async reactor =>
    {
        var server = RedisServer.Require();
        var script = RedisServer.RequireScript();
        var redis = await RedisClient.Connect(reactor, server);
        var channel = RedisChannel.Literal(RedisServer.Key("restart"));
        var messages = new List<string?>();
        var next = new Deferred<object?>();
        var subscription = await redis.Subscribe(channel, (_, message) =>
        {
            messages.Add(message);
            next.Callback(null);
        });
        Assert.Equal(1, await redis.Publish(channel, "before"));
        await next;

        var eventsOffThread = 0;
        var failed = new HashSet<ConnectionType>();
        var restored = new HashSet<ConnectionType>();
        var bothRestored = new Deferred<object?>();
        redis.ConnectionFailed += (_, e) =>
        {
            eventsOffThread += reactor.IsReactorThread ? 0 : 1;
            failed.Add(e.ConnectionType);
        };
        redis.ConnectionRestored += (_, e) =>
        {
            eventsOffThread += reactor.IsReactorThread ? 0 : 1;
            if (restored.Add(e.ConnectionType) && restored.Count == 2)
            {
                bothRestored.Callback(null);
            }
        };

        await reactor.DeferToThread(() =>
        {
            RedisServer.Restart(script);
            return true;
        });
        await bothRestored;

        Assert.Equal(0, eventsOffThread);
        Assert.Equal([ConnectionType.Interactive, ConnectionType.Subscription], failed.Order());
        var key = RedisServer.Key("after-restart");
        Assert.True(await redis.Set(key, "v"));
        Assert.Equal("v", (string?)await redis.Get(key));

        // The multiplexer subscribed again: the message published after the restart arrives, once.
        next = new Deferred<object?>();
        Assert.Equal(1, await redis.Publish(channel, "after"));
        await next;
        await redis.Execute("PING");
        Assert.Equal(["before", "after"], messages);

        await subscription.Unsubscribe();
        await redis.Delete(key);
        await redis.CloseAsync();
        return true;
    });
}
