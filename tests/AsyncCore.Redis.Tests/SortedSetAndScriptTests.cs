using AsyncCore.Reactors;
using AsyncCore.Testing;
using StackExchange.Redis;

namespace AsyncCore.Redis.Tests;

/// <summary>Sorted sets, counters and the EVALSHA script cache against the real server.</summary>
public sealed class SortedSetAndScriptTests : ReactorTestBase
{
    private static Deferred<RedisClient> Connect(EventLoopReactor reactor) => RedisClient.Connect(reactor, RedisServer.Require());

    [Fact]
    public Task SortedSets_RoundTrip() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var key = RedisServer.Key("zset");
        Assert.True(await redis.SortedSetAdd(key, "bob", 20));
        Assert.False(await redis.SortedSetAdd(key, "bob", 25));
        Assert.Equal(2, await redis.SortedSetAdd(key, new SortedSetEntry("ada", 10), new SortedSetEntry("cy", 30), new SortedSetEntry("bob", 25)));
        Assert.Equal(25, await redis.SortedSetScore(key, "bob"));
        Assert.Null(await redis.SortedSetScore(key, "nobody"));
        Assert.Equal(3, await redis.SortedSetLength(key));

        Assert.Equal(["ada", "bob", "cy"], (await redis.SortedSetRange(key)).Select(v => (string?)v));
        Assert.Equal(["cy", "bob"], (await redis.SortedSetRange(key, 0, 1, Order.Descending)).Select(v => (string?)v));
        Assert.Equal(
            [("ada", 10.0), ("bob", 25.0), ("cy", 30.0)],
            (await redis.SortedSetRangeWithScores(key)).Select(e => ((string)e.Element!, e.Score)));
        Assert.Equal(["bob", "cy"], (await redis.SortedSetRangeByScore(key, 20, 30)).Select(v => (string?)v));
        Assert.Equal(["bob"], (await redis.SortedSetRangeByScore(key, 20, 30, Exclude.Stop)).Select(v => (string?)v));
        Assert.Equal(["cy"], (await redis.SortedSetRangeByScore(key, order: Order.Descending, take: 1)).Select(v => (string?)v));
        Assert.Equal(
            [("ada", 10.0)],
            (await redis.SortedSetRangeByScoreWithScores(key, max: 15)).Select(e => ((string)e.Element!, e.Score)));

        Assert.Equal(2, await redis.SortedSetRank(key, "cy"));
        Assert.Equal(0, await redis.SortedSetRank(key, "cy", Order.Descending));
        Assert.Null(await redis.SortedSetRank(key, "nobody"));
        Assert.Equal(35.5, await redis.SortedSetIncrement(key, "ada", 25.5));
        Assert.Equal(2, await redis.SortedSetRank(key, "ada"));
        Assert.True(await redis.SortedSetRemove(key, "bob"));
        Assert.False(await redis.SortedSetRemove(key, "bob"));
        Assert.Equal(2, await redis.SortedSetLength(key));
        await redis.Delete(key);
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task Counters_FloatsAndHashFields() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var key = RedisServer.Key("float");
        var hash = RedisServer.Key("hcount");
        Assert.Equal(1.5, await redis.IncrementByFloat(key, 1.5));
        Assert.Equal(-1.0, await redis.IncrementByFloat(key, -2.5));
        Assert.Equal(1, await redis.HashIncrement(hash, "visits"));
        Assert.Equal(11, await redis.HashIncrement(hash, "visits", 10));
        Assert.Equal("11", (string?)await redis.HashGet(hash, "visits"));
        await redis.Execute("DEL", key, hash);
        await redis.CloseAsync();
        return true;
    });

    [Fact]
    public Task EvaluateCached_LoadsOnce_RunsBySha_AndReloadsAfterNoScript() => RunOnReactor(async reactor =>
    {
        var redis = await Connect(reactor);
        var key = RedisServer.Key("cached-lua");
        // A script of its own (the comment makes its SHA1 unique), so that no other test's SCRIPT FLUSH or load counts.
        var script = $"-- {Guid.NewGuid():N}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])";

        // Issued together before any reply: one load, and the replies keep the order of the calls.
        var first = redis.EvaluateCached(script, [key], [2]);
        var second = redis.EvaluateCached(script, [key], [3]);
        Assert.Equal(2L, (long)await first);
        Assert.Equal(5L, (long)await second);
        Assert.Equal(1, redis.ScriptLoads);
        Assert.Equal(6L, (long)await redis.EvaluateCached(script, [key], [1]));
        Assert.Equal(1, redis.ScriptLoads);

        // The server forgets its scripts: NOSCRIPT, loaded again, run once.
        await redis.Execute("SCRIPT", "FLUSH");
        Assert.Equal(10L, (long)await redis.EvaluateCached(script, [key], [4]));
        Assert.Equal(2, redis.ScriptLoads);
        Assert.Equal("10", (string?)await redis.Get(key));

        var sha = await redis.ScriptLoad(script);
        Assert.Equal(11L, (long)await redis.EvaluateSha(sha, [key], [1]));
        await redis.Execute("SCRIPT", "FLUSH");
        var noScript = await Assert.ThrowsAsync<RedisServerException>(() => redis.EvaluateSha(sha, [key], [1]).AsTask(TestContext.Current.CancellationToken));
        Assert.StartsWith("NOSCRIPT", noScript.Message, StringComparison.Ordinal);

        // A script that does not compile: both calls report the compile error, not NOSCRIPT.
        var broken = redis.EvaluateCached("return (");
        var brokenAgain = redis.EvaluateCached("return (");
        var error = await Assert.ThrowsAsync<RedisServerException>(() => broken.AsTask(TestContext.Current.CancellationToken));
        Assert.DoesNotContain("NOSCRIPT", error.Message, StringComparison.Ordinal);
        error = await Assert.ThrowsAsync<RedisServerException>(() => brokenAgain.AsTask(TestContext.Current.CancellationToken));
        Assert.DoesNotContain("NOSCRIPT", error.Message, StringComparison.Ordinal);
        await redis.Delete(key);
        await redis.CloseAsync();
        return true;
    });
}
