using System.Net;
using AsyncCore.Reactors;
using AsyncCore.Testing;
using StackExchange.Redis;
using StackExchange.Redis.Configuration;

namespace AsyncCore.Redis.Tests;

/// <summary>The tunnel that carries the multiplexer's connections over the reactor's own.</summary>
#pragma warning disable SER009 // StackExchange.Redis's push transport, experimental: see ReactorTunnel.
public sealed class ReactorTunnelTests : ReactorTestBase
{
    [Fact]
    public Task AConnectionMadeAfterTheAttemptWasCancelled_IsClosed_NotLeftOpen() => RunOnReactor(async reactor =>
    {
        // A server of the test's own: other tests' connections would move the count.
        await using var server = await reactor.DeferToThread(() => OwnRedisServer.Start());
        var admin = await RedisClient.Connect(reactor, server.Configuration + ",allowAdmin=true");
        var before = await ConnectedClients(admin);
        var acceptedBefore = await Info(admin, "stats", "total_connections_received");
        var tunnel = new ReactorTunnel(new ReplyPump(reactor), reactor, TimeSpan.FromSeconds(5));
        using var cancel = new CancellationTokenSource();
        var attempt = tunnel.ConnectTransportAsync(
            new IPEndPoint(IPAddress.Loopback, server.Port), ConnectionType.Interactive, new TlsOptions(new ConfigurationOptions()), cancel.Token).AsTask();

        // The multiplexer gives up before the reactor has even started connecting: the connection is made after.
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attempt);

        // Wait for the server to have accepted the late connection (a fixed pause could end before it is made, on a loaded
        // machine: the count below would then match at once and the connection come after the test), then for the server
        // to see it gone (left open, it would stay counted).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await Info(admin, "stats", "total_connections_received") == acceptedBefore)
        {
            Assert.True(DateTime.UtcNow < deadline, "the cancelled attempt's connection never reached the server");
            await reactor.DeferLater(TimeSpan.FromMilliseconds(20));
        }
        long now;
        while ((now = await ConnectedClients(admin)) != before && DateTime.UtcNow < deadline)
        {
            await reactor.DeferLater(TimeSpan.FromMilliseconds(20));
        }
        Assert.Equal(before, now);
        await admin.CloseAsync();
        return true;
    });

    [Fact]
    public Task AfterALargeWrite_TheStagingBuffersShrinkBack_FromTheReactorAndFromOtherThreads() => RunOnReactor(async reactor =>
    {
        // A big value must not leave a buffer of its size behind for the life of the connection.
        const int large = 4 << 20;
        const int small = 100;
        var transport = new ReactorDuplexTransport(new ReplyPump(reactor));

        // On the reactor thread a flush writes at once.
        Assert.True(Write(transport, large));
        Assert.True(transport.RetainedCapacity < 256 * 1024, $"{transport.RetainedCapacity} bytes kept");

        // From another thread it is staged for the reactor, whose write (queued before this test resumes) runs first.
        Assert.True(await reactor.DeferToThread(() => Write(transport, large)));
        Assert.True(transport.RetainedCapacity < 256 * 1024, $"{transport.RetainedCapacity} bytes kept");

        // Small writes reuse what they have.
        Assert.True(Write(transport, small));
        Assert.True(await reactor.DeferToThread(() => Write(transport, small)));
        Assert.True(transport.RetainedCapacity < 256 * 1024, $"{transport.RetainedCapacity} bytes kept");
        return true;
    });

    [Fact]
    public Task LargeValues_RoundTripOverTheReactorsConnection_AcrossManyReads() => RunOnReactor(async reactor =>
    {
        // A reply far larger than one read is parsed across many bursts; the ones around it keep their order.
        var redis = await RedisClient.Connect(reactor, RedisServer.Require());
        var key = RedisServer.Key("large");
        var value = new byte[8 << 20];
        new Random(17).NextBytes(value);
        var before = redis.HandOvers;

        var set = redis.Set(key, value);
        var length = redis.Execute("STRLEN", key);
        var get = redis.Get(key);
        var small = redis.Execute("ECHO", "after");
        Assert.True(await set);
        Assert.Equal(value.Length, (long)(await length)!);
        Assert.Equal(value, (byte[])(await get)!);
        Assert.Equal("after", (string?)await small);

        Assert.Equal(0, redis.HandOvers - before);
        await redis.Delete(key);
        await redis.CloseAsync();
        return true;
    });

    private static bool Write(ReactorDuplexTransport transport, int size)
    {
        transport.GetSpan(size)[..size].Fill((byte)'x');
        transport.Advance(size);
        return transport.Flush();
    }

    private static Deferred<long> ConnectedClients(RedisClient admin) => Info(admin, "clients", "connected_clients");

    private static async Deferred<long> Info(RedisClient admin, string section, string field)
    {
        var info = (string)(await admin.Execute("INFO", section))!;
        var line = info.Split('\n').Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
#pragma warning restore SER009
