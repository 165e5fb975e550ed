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

    [Fact]
    public Task ServerDown_QueuedCommandsRunAfterTheRestart_FailFastOnesFailClearly_AndEachFiresOnce() => RunOnReactor(async reactor =>
    {
        RedisServer.Require();
        await using var server = await reactor.DeferToThread(OwnRedisServer.Start);
        // The multiplexer's default backlog queues commands while disconnected; FailFast refuses them at once.
        var queued = await RedisClient.Connect(reactor, server.Configuration);
        var failFastOptions = ConfigurationOptions.Parse(server.Configuration);
        failFastOptions.BacklogPolicy = BacklogPolicy.FailFast;
        var failFast = await RedisClient.Connect(reactor, failFastOptions);
        var failed = new Deferred<object?>[] { new(), new() };
        var restored = new Deferred<object?>[] { new(), new() };
        var offThread = 0;
        void Watch(RedisClient client, int i)
        {
            client.ConnectionFailed += (_, e) =>
            {
                offThread += reactor.IsReactorThread ? 0 : 1;
                if (e.ConnectionType == ConnectionType.Interactive && !failed[i].Called)
                {
                    failed[i].Callback(null);
                }
            };
            client.ConnectionRestored += (_, e) =>
            {
                offThread += reactor.IsReactorThread ? 0 : 1;
                if (e.ConnectionType == ConnectionType.Interactive && !restored[i].Called)
                {
                    restored[i].Callback(null);
                }
            };
        }
        Watch(queued, 0);
        Watch(failFast, 1);
        Assert.True(await queued.Set("k", "before"));

        await reactor.DeferToThread(() =>
        {
            server.Stop();
            return true;
        });
        await failed[0];
        await failed[1];
        Assert.False(queued.IsConnected);

        var fired = 0;
        var waiting = queued.Get("k").AddCallback(_ => { fired++; });
        var error = await Assert.ThrowsAsync<RedisConnectionException>(async () => await failFast.Get("k"));
        Assert.Contains("No connection", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(waiting.Called);

        await reactor.DeferToThread(() =>
        {
            server.Resume();
            return true;
        });
        await restored[0];
        await restored[1];
        // The queued GET ran on the new, empty server: once, after the restart.
        Assert.True((await waiting).IsNull);
        Assert.Equal(1, fired);
        Assert.True(await failFast.Set("k", "after"));
        Assert.Equal("after", (string?)await queued.Get("k"));
        Assert.Equal(0, offThread);

        await queued.CloseAsync();
        await failFast.CloseAsync();
        return true;
    });
}
