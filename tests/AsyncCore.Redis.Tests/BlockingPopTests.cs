using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Testing;
using StackExchange.Redis;

namespace AsyncCore.Redis.Tests;

/// <summary>BLPOP, BRPOP and BLMOVE on connections of their own, and cancelling them without losing an element.</summary>
public sealed class BlockingPopTests : ReactorTestBase
{
    // A client name of its own, so that CLIENT LIST finds this test's blocking connection among the server's clients.
    // Without allowAdmin, cancels go through the blocking pool's own admin connection; with it, through the main one.
    private static Deferred<RedisClient> Connect(EventLoopReactor reactor, string name, bool allowAdmin = false) =>
        RedisClient.Connect(reactor, RedisServer.Require() + ",name=" + name + (allowAdmin ? ",allowAdmin=true" : ""));

    // CLIENT LIST needs an admin connection.
    private static Deferred<RedisClient> Admin(EventLoopReactor reactor) =>
        RedisClient.Connect(reactor, RedisServer.Require() + ",allowAdmin=true");

    private static async Deferred<bool> Until(EventLoopReactor reactor, Func<Deferred<bool>> condition)
    {
        while (!await condition())
        {
            await reactor.DeferLater(TimeSpan.FromMilliseconds(5));
        }
        return true;
    }

    // Whether a connection named name-blocking is blocked (flags=b) in cmd on the server now.
    private static Deferred<bool> Blocked(RedisClient redis, string name, string cmd) =>
        redis.Execute("CLIENT", "LIST").AddCallback(list => ((string)list!).Split('\n')
            .Any(line => line.Contains($" name={name}-blocking ", StringComparison.Ordinal) && line.Contains($" cmd={cmd} ", StringComparison.Ordinal)
                && line.Contains(" flags=b ", StringComparison.Ordinal)));

    [Fact]
    public Task LeftPop_WaitsForAPush_WithoutHoldingUpOtherCommands_AndReusesItsConnection() => RunOnReactor(async reactor =>
    {
        var name = "bl" + Guid.NewGuid().ToString("N");
        var redis = await Connect(reactor, name);
        var admin = await Admin(reactor);
        var key = RedisServer.Key("blpop");
        var onReactor = false;
        var popped = redis.ListBlockingLeftPop(key).AddCallback(_ => { onReactor = reactor.IsReactorThread; });
        await Until(reactor, () => Blocked(admin, name, "blpop"));

        Assert.Equal("PONG", (string?)await redis.Execute("PING"));   // the shared connection is not blocked
        Assert.False(popped.Called);
        await redis.ListRightPush(key, "a");
        await redis.ListRightPush(key, "b");
        Assert.Equal("a", (string?)await popped);
        Assert.True(onReactor);

        Assert.Equal("b", (string?)await redis.ListBlockingRightPop(key));
        Assert.True((await redis.ListBlockingRightPop(key, TimeSpan.FromMilliseconds(100))).IsNull);
        Assert.Equal(1, redis.BlockingConnectionsOpened);
        Assert.Equal(1, redis.IdleBlockingConnections);
        await redis.CloseAsync();
        await admin.CloseAsync();
        return true;
    });

    [Fact]
    public Task CancelWhileBlocked_ThenPush_TheElementStaysInTheList() => RunOnReactor(async reactor =>
    {
        var name = "bl" + Guid.NewGuid().ToString("N");
        var redis = await Connect(reactor, name);
        var admin = await Admin(reactor);
        var key = RedisServer.Key("blpop-cancel");
        var popped = redis.ListBlockingLeftPop(key);
        await Until(reactor, () => Blocked(admin, name, "blpop"));

        popped.Cancel();
        await Assert.ThrowsAsync<CancelledException>(async () => await popped);
        // The connection was unblocked and went back to the pool, then the element is pushed: nobody takes it.
        await Until(reactor, () => Deferred.Succeed(redis.IdleBlockingConnections == 1));
        await redis.ListRightPush(key, "kept");
        await redis.Execute("PING");
        Assert.Equal(["kept"], (await redis.ListRange(key)).Select(v => (string?)v));
        Assert.False(await Blocked(admin, name, "blpop"));

        await redis.Delete(key);
        await redis.CloseAsync();
        await admin.CloseAsync();
        return true;
    });

    [Fact]
    public Task CancelArrivingAsThePopCompletes_PushesTheElementBack() => RunOnReactor(async reactor =>
    {
        var name = "bl" + Guid.NewGuid().ToString("N");
        var redis = await Connect(reactor, name, allowAdmin: true);
        var admin = await Admin(reactor);
        var key = RedisServer.Key("brpop-race");
        await redis.ListRightPush(key, "first");
        var popped = redis.ListBlockingRightPop(key + ":empty");
        var left = redis.ListBlockingLeftPop(key + ":other");
        await Until(reactor, () => Blocked(admin, name, "blpop"));
        Assert.Equal(2, redis.BlockingConnectionsOpened);

        // The push reaches the server before the cancel's CLIENT UNBLOCK (one connection, in order): the server pops
        // the element for the blocked call, and the cancel finds the call answered.
        _ = redis.ListRightPush(key + ":other", "raced");
        left.Cancel();
        await Assert.ThrowsAsync<CancelledException>(async () => await left);
        // Its connection is back in the pool once its reply was handled; the push-back was issued before, so a round
        // trip on the main connection now comes after it.
        await Until(reactor, () => Deferred.Succeed(redis.IdleBlockingConnections == 1));
        await redis.Execute("PING");
        Assert.Equal(["raced"], (await redis.ListRange(key + ":other")).Select(v => (string?)v));

        popped.Cancel();
        await Assert.ThrowsAsync<CancelledException>(async () => await popped);
        await redis.Execute("DEL", key, key + ":other");
        await redis.CloseAsync();
        await admin.CloseAsync();
        return true;
    });

    [Fact]
    public Task Move_MovesAtomically_AndACancelledMoveLeavesTheElementInTheSource() => RunOnReactor(async reactor =>
    {
        var name = "bl" + Guid.NewGuid().ToString("N");
        var redis = await Connect(reactor, name);
        var admin = await Admin(reactor);
        var source = RedisServer.Key("blmove-src");
        var destination = RedisServer.Key("blmove-dst");
        var moved = redis.ListBlockingMove(source, destination, ListSide.Left, ListSide.Right);
        await Until(reactor, () => Blocked(admin, name, "blmove"));
        await redis.ListRightPush(source, "x");
        Assert.Equal("x", (string?)await moved);
        Assert.Equal(["x"], (await redis.ListRange(destination)).Select(v => (string?)v));

        var cancelled = redis.ListBlockingMove(source, destination, ListSide.Left, ListSide.Right);
        await Until(reactor, () => Blocked(admin, name, "blmove"));
        cancelled.Cancel();
        await Assert.ThrowsAsync<CancelledException>(async () => await cancelled);
        await Until(reactor, () => Deferred.Succeed(redis.IdleBlockingConnections == 1));
        await redis.ListRightPush(source, "y");
        await redis.Execute("PING");
        Assert.Equal(["y"], (await redis.ListRange(source)).Select(v => (string?)v));
        Assert.Equal(["x"], (await redis.ListRange(destination)).Select(v => (string?)v));

        await redis.Execute("DEL", source, destination);
        await redis.CloseAsync();
        await admin.CloseAsync();
        return true;
    });

    [Fact]
    public Task Close_CancelsTheBlockedPops_AndClosesTheirConnections() => RunOnReactor(async reactor =>
    {
        var name = "bl" + Guid.NewGuid().ToString("N");
        var redis = await Connect(reactor, name);
        var admin = await Admin(reactor);
        var key = RedisServer.Key("blpop-close");
        var popped = redis.ListBlockingLeftPop(key);
        await Until(reactor, () => Blocked(admin, name, "blpop"));

        await redis.CloseAsync();
        await Assert.ThrowsAsync<CancelledException>(async () => await popped);
        Assert.Equal(0, redis.IdleBlockingConnections);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => redis.ListBlockingLeftPop(key).AsTask(TestContext.Current.CancellationToken));

        await Until(reactor, () => admin.Execute("CLIENT", "LIST").AddCallback(list => !((string)list!).Contains($"name={name}-", StringComparison.Ordinal)));
        await admin.CloseAsync();
        return true;
    });
}
