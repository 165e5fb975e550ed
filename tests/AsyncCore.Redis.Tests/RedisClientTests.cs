using System.Net.Sockets;
using AsyncCore.Reactors;
using AsyncCore.Testing;
using StackExchange.Redis;

namespace AsyncCore.Redis.Tests;

/// <summary>Commands against the real server: round trips, the reactor thread, order, close.</summary>
public sealed class RedisClientTests : ReactorTestBase
{
    private static Deferred<RedisClient> Connect(EventLoopReactor reactor) => RedisClient.Connect(reactor, RedisServer.Require());

    [Fact]
    public Task Strings_RoundTrip() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var key = RedisServer.Key("str");
        Assert.True((await redis.Get(key)).IsNull);
        Assert.True(await redis.Set(key, "v1"));
        Assert.Equal("v1", (string?)await redis.Get(key));
        Assert.False(await redis.Set(key, "v2", when: When.NotExists));
        Assert.Equal("v1", (string?)await redis.Get(key));
        Assert.True(await redis.Set(key, "v3", expiry: TimeSpan.FromMinutes(5)));
        var ttl = await redis.TimeToLive(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));

        var counter = RedisServer.Key("counter");
        Assert.Equal(1, await redis.Increment(counter));
        Assert.Equal(11, await redis.Increment(counter, 10));
        Assert.Equal(8, await redis.Decrement(counter, 3));
        Assert.Equal("8", (string?)await redis.Get(counter));

        Assert.True(await redis.Delete(key));
        Assert.True(await redis.Delete(counter));
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task Hashes_Lists_Sets_Keys_RoundTrip() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var hash = RedisServer.Key("hash");
        Assert.True(await redis.HashSet(hash, "name", "ada"));
        Assert.False(await redis.HashSet(hash, "name", "Ada"));
        await redis.HashSet(hash, new HashEntry("born", 1815), new HashEntry("lang", "en"));
        Assert.Equal("Ada", (string?)await redis.HashGet(hash, "name"));
        Assert.True((await redis.HashGet(hash, "missing")).IsNull);
        var all = (await redis.HashGetAll(hash)).ToDictionary(e => (string)e.Name!, e => (string?)e.Value);
        Assert.Equal(new Dictionary<string, string?> { ["name"] = "Ada", ["born"] = "1815", ["lang"] = "en" }, all);
        Assert.Equal(3, await redis.HashLength(hash));
        Assert.True(await redis.HashDelete(hash, "lang"));
        Assert.Equal(2, await redis.HashLength(hash));

        var list = RedisServer.Key("list");
        Assert.Equal(1, await redis.ListRightPush(list, "b"));
        Assert.Equal(2, await redis.ListRightPush(list, "c"));
        Assert.Equal(3, await redis.ListLeftPush(list, "a"));
        Assert.Equal(["a", "b", "c"], (await redis.ListRange(list)).Select(v => (string?)v));
        Assert.Equal("a", (string?)await redis.ListLeftPop(list));
        Assert.Equal("c", (string?)await redis.ListRightPop(list));
        Assert.Equal(1, await redis.ListLength(list));

        var set = RedisServer.Key("set");
        Assert.True(await redis.SetAdd(set, "x"));
        Assert.False(await redis.SetAdd(set, "x"));
        Assert.True(await redis.SetAdd(set, "y"));
        Assert.True(await redis.SetContains(set, "y"));
        Assert.True(await redis.SetRemove(set, "y"));
        Assert.Equal(["x"], (await redis.SetMembers(set)).Select(v => (string?)v));

        Assert.True(await redis.Exists(set));
        Assert.True(await redis.Expire(set, TimeSpan.FromMinutes(1)));
        Assert.NotNull(await redis.TimeToLive(set));
        Assert.True(await redis.Expire(set, null));
        Assert.Null(await redis.TimeToLive(set));
        Assert.Equal("PONG", (string?)await redis.Execute("PING"));
        Assert.Equal(2L, (long)await redis.Execute("DEL", hash, list));
        Assert.True(await redis.Delete(set));
        Assert.False(await redis.Exists(set));
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task Evaluate_RunsAScriptWithKeysAndArguments_AgainAndAgain() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var key = RedisServer.Key("lua");
        const string script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
        Assert.Equal(3L, (long)await redis.Evaluate(script, [key], [3]));
        Assert.Equal(7L, (long)await redis.Evaluate(script, [key], [4]));
        Assert.Equal("hi", (string?)await redis.Evaluate("return 'hi'"));
        await Assert.ThrowsAsync<RedisServerException>(() => redis.Evaluate("return redis.call('NOPE')").AsTask(TestContext.Current.CancellationToken));
        await redis.Delete(key);
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task ScanKeys_VisitsEveryMatchingKeyOnTheReactorThread_AndStopsWhenAsked() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var stem = RedisServer.Key("scan");
        var keys = Enumerable.Range(0, 120).Select(i => $"{stem}:{i}").ToArray();
        await Deferred.GatherResults(keys.Select(k => redis.Set(k, "v")));
        var seen = new HashSet<string>();
        var offThread = 0;

        var visited = await redis.ScanKeys(stem + ":*", key =>
        {
            offThread += reactor.IsReactorThread ? 0 : 1;
            seen.Add((string)key!);
            return true;
        }, pageSize: 10);

        Assert.Equal(0, offThread);
        Assert.Equal(keys.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.True(visited >= keys.Length);
        var stopped = 0;
        Assert.Equal(5, await redis.ScanKeys(stem + ":*", _ => ++stopped < 5, pageSize: 10));
        await Deferred.GatherResults(keys.Select(k => redis.Delete(k)));
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task ServerError_FailsTheDeferredWithTheServersMessage() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var key = RedisServer.Key("notanumber");
        await redis.Set(key, "abc");
        var error = await Assert.ThrowsAsync<RedisServerException>(() => redis.Increment(key).AsTask(TestContext.Current.CancellationToken));
        Assert.Contains("not an integer", error.Message, StringComparison.Ordinal);
        await redis.Delete(key);
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task Burst_RepliesArriveOnTheReactorThreadInOrderInFewHandOvers() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var key = RedisServer.Key("burst");
        const int count = 10_000;
        var seen = new List<long>(count);
        var offThread = 0;
        var before = redis.HandOvers;
        var replies = new Deferred<long>[count];
        for (var i = 0; i < count; i++)
        {
            replies[i] = redis.Increment(key).AddCallback(v =>
            {
                if (!reactor.IsReactorThread)
                {
                    offThread++;
                }
                seen.Add(v);
            });
            await RedisServer.Breathe(reactor, i);
        }
        await Deferred.GatherResults(replies);

        Assert.Equal(0, offThread);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), seen);
        var handOvers = redis.HandOvers - before;
        Assert.True(handOvers < count / 2, $"{handOvers} hand-overs for {count} replies: not batched");
        await redis.Delete(key);
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task OneAtATime_RepliesAreReadOnTheReactorThread_WithoutAHandOver() => RunOnReactor(async reactor =>
    {
        // The multiplexer's connections are the reactor's own (ReactorTunnel): it parses a reply on the reactor thread,
        // so the reply is delivered there without a call from another thread.
        var redis = await Connect(reactor);
        var key = RedisServer.Key("one-at-a-time");
        await redis.Set(key, "v");
        var before = redis.HandOvers;
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal("v", (string?)await redis.Get(key));
            Assert.True(reactor.IsReactorThread);
        }

        Assert.Equal(0, redis.HandOvers - before);
        await redis.Delete(key);
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task OverAUnixSocket_TheMultiplexersOwnSocketsHandRepliesOverInIssueOrder() => RunOnReactor(async reactor =>
    {
        // A UNIX socket is not carried by the reactor: the multiplexer keeps its own socket and completes replies on its
        // own threads, and the pump hands them over in batches, in the order the commands were issued.
        await using var server = await reactor.DeferToThread(() => OwnRedisServer.Start(unixSocket: true));
        var options = new ConfigurationOptions { EndPoints = { new UnixDomainSocketEndPoint(server.UnixSocket!) } };
        var redis = await RedisClient.Connect(reactor, options);
        var key = RedisServer.Key("unix");
        const int count = 2_000;
        var seen = new List<long>(count);
        var offThread = 0;
        var replies = new List<Deferred<long>>(count);
        for (var i = 0; i < count; i++)
        {
            replies.Add(redis.Increment(key).AddCallback(value =>
            {
                offThread += reactor.IsReactorThread ? 0 : 1;
                seen.Add(value);
                return value;
            }));
        }
        await Deferred.GatherResults(replies);

        Assert.Equal(0, offThread);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), seen);
        Assert.True(redis.HandOvers > 0, "the replies should have come through the pump's hand-over");
        Assert.True(redis.HandOvers < count, $"{redis.HandOvers} hand-overs for {count} replies: not batched");
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task Close_WaitsForTheCommandsInFlight_ThenRefusesNewOnes() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var key = RedisServer.Key("close");
        const int count = 2_000;
        var answered = 0;
        var answeredWhenClosed = -1;
        for (var i = 0; i < count; i++)
        {
            _ = redis.Increment(key).AddCallback(_ => answered++);
        }
        var closed = redis.CloseAsync().AddCallback(_ => answeredWhenClosed = answered);
        Assert.Equal(count, redis.InFlight);
        await closed;

        Assert.Equal(count, answeredWhenClosed);
        Assert.Equal(0, redis.InFlight);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => redis.Get(key).AsTask(TestContext.Current.CancellationToken));

        var cleanup = await Connect(reactor);
        Assert.Equal(count.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)await cleanup.Get(key));
        await cleanup.Delete(key);
        await cleanup.DisposeAsync();
        return true;
    });

    [Fact]
    public Task Connect_ToAClosedPort_FailsOnTheReactorThread() => RunOnReactor(async reactor =>
    {
        RedisServer.Require();
        var onReactor = false;
        var connecting = RedisClient.Connect(reactor, "127.0.0.1:1,connectTimeout=2000")
            .AddErrback(f =>
            {
                onReactor = reactor.IsReactorThread;
                return f;
            });
        await Assert.ThrowsAsync<RedisConnectionException>(() => connecting.AsTask(TestContext.Current.CancellationToken));
        Assert.True(onReactor);
        return true;
    });
}
