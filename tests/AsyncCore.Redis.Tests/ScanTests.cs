using AsyncCore.Reactors;
using AsyncCore.Tasks;
using AsyncCore.Testing;
using StackExchange.Redis;

namespace AsyncCore.Redis.Tests;

/// <summary>SCAN as a cooperative iterator and as an asynchronous sequence of pages.</summary>
public sealed class ScanTests : ReactorTestBase
{
    private const int KeyCount = 120;

    private static async Deferred<(RedisClient Redis, string Stem, string[] Keys)> Seed(EventLoopReactor reactor)
    {
        var redis = await RedisClient.Connect(reactor, RedisServer.Require());
        var stem = RedisServer.Key("scan");
        var keys = Enumerable.Range(0, KeyCount).Select(i => $"{stem}:{i}").ToArray();
        var batch = redis.CreateBatch();
        foreach (var key in keys)
        {
            _ = batch.Set(key, "v");
        }
        await batch.Execute();
        return (redis, stem, keys);
    }

    private static async Deferred<bool> Cleanup(RedisClient redis, string[] keys)
    {
        await redis.Execute("DEL", [.. keys]);
        await redis.CloseAsync();
        return true;
    }

    [Fact]
    public Task ScanSteps_UnderACooperator_VisitsEveryKeyOnTheReactor_InterleavedWithOtherTasks() => RunOnReactor(async reactor =>
    {
        var (redis, stem, keys) = await Seed(reactor);
        var seen = new HashSet<string>();
        var offThread = 0;
        var trace = new List<char>();
        var cooperator = new Cooperator(reactor);
        var scanning = true;
        IEnumerable<object?> Other()
        {
            while (scanning)
            {
                trace.Add('o');
                yield return null;
            }
        }

        var other = cooperator.Coiterate(Other());
        await cooperator.Coiterate(redis.ScanSteps(stem + ":*", key =>
        {
            offThread += reactor.IsReactorThread ? 0 : 1;
            seen.Add((string)key!);
            trace.Add('k');
        }, pageSize: 10));
        scanning = false;
        await other;

        Assert.Equal(0, offThread);
        Assert.Equal(keys.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        // The other task ran between keys, not only before and after the scan.
        var firstKey = trace.IndexOf('k');
        var lastKey = trace.LastIndexOf('k');
        Assert.Contains('o', trace.GetRange(firstKey, lastKey - firstKey));
        return await Cleanup(redis, keys);
    });

    [Fact]
    public Task ScanSteps_StoppedTask_VisitsNoMoreKeys() => RunOnReactor(async reactor =>
    {
        var (redis, stem, keys) = await Seed(reactor);
        var visited = 0;
        CooperativeTask? task = null;
        task = new Cooperator(reactor).Cooperate(redis.ScanSteps(stem + ":*", _ =>
        {
            if (++visited == 5)
            {
                task!.Stop();
            }
        }, pageSize: 10));
        await Assert.ThrowsAsync<TaskStoppedException>(() => task.WhenDone().AsTask(TestContext.Current.CancellationToken));
        await redis.Execute("PING");
        Assert.Equal(5, visited);
        return await Cleanup(redis, keys);
    });

    [Fact]
    public Task ScanPages_AwaitForeach_OnTheReactorThread_AndStopsWhenTheLoopIsLeft() => RunOnReactor(async reactor =>
    {
        var (redis, stem, keys) = await Seed(reactor);
        var seen = new HashSet<string>();
        var pages = 0;
        var offThread = 0;
        await foreach (var page in redis.ScanPages(stem + ":*", pageSize: 10))
        {
            offThread += reactor.IsReactorThread ? 0 : 1;
            pages++;
            seen.UnionWith(page.Select(k => (string)k!));
        }
        Assert.Equal(0, offThread);
        Assert.True(pages > 1);
        Assert.Equal(keys.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));

        var taken = 0;
        await foreach (var page in redis.ScanPages(stem + ":*", pageSize: 10))
        {
            taken++;
            break;
        }
        Assert.Equal(1, taken);
        Assert.Equal(0, redis.InFlight);
        return await Cleanup(redis, keys);
    });
}
