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
        var server = await reactor.DeferToThread(() => OwnRedisServer.Start());
        try
        {
            var admin = await RedisClient.Connect(reactor, server.Configuration + ",allowAdmin=true");
            var before = await ConnectedClients(admin);
            var tunnel = new ReactorTunnel(new ReplyPump(reactor), reactor, TimeSpan.FromSeconds(5));
            using var cancel = new CancellationTokenSource();
            var attempt = tunnel.ConnectTransportAsync(
                new IPEndPoint(IPAddress.Loopback, server.Port), ConnectionType.Interactive, new TlsOptions(new ConfigurationOptions()), cancel.Token).AsTask();

            // The multiplexer gives up before the reactor has even started connecting: the connection is made after.
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attempt);

            // Let the connection be made, then wait for the server to see it gone (left open, it would stay counted).
            await reactor.DeferLater(TimeSpan.FromMilliseconds(200));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            long now;
            while ((now = await ConnectedClients(admin)) != before && DateTime.UtcNow < deadline)
            {
                await reactor.DeferLater(TimeSpan.FromMilliseconds(20));
            }
            Assert.Equal(before, now);
            await admin.CloseAsync();
        }
        finally
        {
            await server.DisposeOffReactor(reactor);
        }
        return true;
    });

    private static async Deferred<long> ConnectedClients(RedisClient admin)
    {
        var info = (string)(await admin.Execute("INFO", "clients"))!;
        var line = info.Split('\n').Single(l => l.StartsWith("connected_clients:", StringComparison.Ordinal));
        return long.Parse(line["connected_clients:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
#pragma warning restore SER009
