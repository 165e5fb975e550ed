using System.Net;
using AsyncCore.Reactors;
using AsyncCore.Testing;

namespace AsyncCore.WebSockets.Tests;

/// <summary>Many real clients over TCP against one standalone server: none is left open, on either side.</summary>
public sealed class ManyClientsTests : ReactorTestBase
{
    /// <summary>A client that closes as soon as it is open and reports its end.</summary>
    private sealed class OpenThenClose : WebSocketClientProtocol
    {
        public Deferred<bool> Closed { get; } = new();

        protected override void OnOpen() => SendClose(1000);

        protected override void OnClose(bool wasClean, int? code, string? reason) => Closed.Callback(wasClean && code == 1000);
    }

    private sealed class Counting(Action<bool> closed) : WebSocketServerProtocol
    {
        protected override void OnClose(bool wasClean, int? code, string? reason) => closed(wasClean && code == 1000);
    }

    [Fact]
    public Task TenThousandClients_OverTcp_OpenedAndClosed_NoConnectionLeft() => RunOnReactor(async reactor =>
    {
        const int total = 10_000;
        const int concurrent = 50;
        var serverClean = 0;
        var serverEnded = 0;
        // Generous handshake timeouts: on a loaded machine a 1 s close timeout would turn slowness into unclean closes,
        // and this test is about leaks, not timeouts.
        var patient = TimeSpan.FromSeconds(60);
        var factory = new WebSocketServerFactory(reactor, () => new Counting(clean =>
        {
            serverEnded++;
            serverClean += clean ? 1 : 0;
        }), new WebSocketServerOptions { CloseHandshakeTimeout = patient, OpenHandshakeTimeout = patient });
        var clientOptions = new WebSocketClientOptions { CloseHandshakeTimeout = patient, OpenHandshakeTimeout = patient, ServerConnectionDropTimeout = patient };
        var port = await WebSocketEndpoints.Listen(reactor, "ws:0:interface=127.0.0.1:backlog=1024", factory);
        var url = $"ws://127.0.0.1:{((IPEndPoint)port.GetHost()).Port}/";
        var clientClean = 0;
        for (var started = 0; started < total; started += concurrent)
        {
            var batch = Enumerable.Range(0, concurrent).Select(_ =>
            {
                var client = new OpenThenClose();
                WebSocketClient.Connect(reactor, url, client, clientOptions).AddErrback(f => client);
                return client.Closed;
            }).ToArray();
            foreach (var clean in await Deferred.GatherResults(batch))
            {
                clientClean += clean ? 1 : 0;
            }
        }
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        Assert.Equal(total, clientClean);
        Assert.Equal(total, serverEnded);
        Assert.Equal(total, serverClean);
        Assert.Empty(reactor.GetConnections());
        return true;
    });
}
