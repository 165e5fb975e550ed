using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Testing;

namespace AsyncCore.WebSockets.Tests;

/// <summary>OnConnectAsync: accepting or refusing the opening handshake later, and header fields in the answer.</summary>
public sealed class AsyncConnectTests : ReactorTestBase
{
    private const string Handshake =
        "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, other\r\n\r\n";

    /// <summary>A server whose OnConnectAsync returns the Deferred the test holds.</summary>
    private sealed class LaterServer : WebSocketServerProtocol
    {
        public LaterServer() => Decision = new(_ => Cancelled = true);

        public Deferred<string?> Decision { get; }
        public bool Cancelled { get; private set; }
        public WebSocketConnectionRequest? Seen { get; private set; }
        public List<string> Messages { get; } = [];
        public List<(bool WasClean, int? Code, string? Reason)> Closes { get; } = [];

        protected override Deferred<string?> OnConnectAsync(WebSocketConnectionRequest request)
        {
            Seen = request;
            return Decision;
        }

        protected override void OnMessage(byte[] payload, bool isBinary) => Messages.Add(Encoding.UTF8.GetString(payload));

        protected override void OnClose(bool wasClean, int? code, string? reason) => Closes.Add((wasClean, code, reason));
    }

    private (StringTransport Transport, IProtocol Channel, LaterServer Server) Start(byte[]? thenFrames = null)
    {
        LaterServer? server = null;
        var factory = new WebSocketServerFactory(Clock, () => server = new LaterServer());
        var transport = new StringTransport();
        var channel = factory.BuildProtocol(null)!;
        channel.MakeConnection(transport);
        channel.DataReceived([.. Encoding.ASCII.GetBytes(Handshake), .. thenFrames ?? []]);
        return (transport, channel, server!);
    }

    [Fact]
    public void Accepted_Later_NothingAnsweredUntilThen_ThenThe101WithItsHeaders_AndPipelinedFramesArrive()
    {
        var (transport, _, server) = Start(WireFrame.Text1("sent before the answer"));
        Assert.Empty(transport.Value());
        Assert.Equal(WebSocketState.Connecting, server.State);
        server.Seen!.ResponseHeaders.Add("Set-Cookie", "session=abc");
        server.Seen.ResponseHeaders.Add("Sec-WebSocket-Accept", "not the server's");   // the handshake's own fields win
        server.Decision.Callback("other");
        var answer = Encoding.Latin1.GetString(transport.Value());
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("Set-Cookie: session=abc\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Protocol: other\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("not the server's", answer, StringComparison.Ordinal);
        Assert.Equal(WebSocketState.Open, server.State);
        Assert.Equal("other", server.Subprotocol);
        Assert.Equal(["sent before the answer"], server.Messages);
    }

    [Fact]
    public void Refused_Later_WithTheDenialsStatus_AndHeaderFields_OnCloseCalled()
    {
        var (transport, _, server) = Start();
        server.Seen!.ResponseHeaders.Set("WWW-Authenticate", "Bearer");
        server.Decision.Errback(new ConnectionDeniedException(401, "token expired"));
        var answer = Encoding.Latin1.GetString(transport.Value());
        Assert.StartsWith("HTTP/1.1 401 ", answer, StringComparison.Ordinal);
        Assert.Contains("WWW-Authenticate: Bearer\r\n", answer, StringComparison.Ordinal);
        Assert.EndsWith("token expired\n", answer, StringComparison.Ordinal);
        Assert.Equal((false, (int?)1006), (Assert.Single(server.Closes).WasClean, server.Closes[0].Code));
    }

    [Fact]
    public void Failed_Later_WithAnotherError_500_AndLogged()
    {
        using var log = new LogCapture();
        using var installed = log.InstallAsDefault();
        var (transport, _, server) = Start();
        server.Decision.Errback(new InvalidOperationException("database down"));
        Assert.StartsWith("HTTP/1.1 500 ", Encoding.Latin1.GetString(transport.Value()), StringComparison.Ordinal);
        Assert.Contains(log.Entries, e => e.Exception is InvalidOperationException);
        Assert.Single(server.Closes);
    }

    [Fact]
    public void ClientGoesAwayWhileDeciding_TheDecisionIsCancelled_OnCloseOnce()
    {
        var (transport, channel, server) = Start();
        channel.ConnectionLost(new Failure(new ConnectionLostException("gone")));
        Assert.True(server.Cancelled, "the pending decision was cancelled");
        Assert.Equal((false, (int?)1006), (Assert.Single(server.Closes).WasClean, server.Closes[0].Code));
        Assert.Empty(transport.Value());
    }

    [Fact]
    public void SynchronousOnConnect_HeaderFields_ReachTheClient_OverALoopback()
    {
        var factory = new WebSocketServerFactory(Clock, () => new RecordingServer
        {
            Connecting = request =>
            {
                request.ResponseHeaders.Set("X-Room", request.Params["room"][0]);
                return null;
            },
        });
        var client = new RecordingClient();
        var opened = WebSocketClient.Prepare(client, "ws://localhost/?room=42", clock: Clock);
        var pump = Loopback.Connect(factory.BuildProtocol(null)!, client, Clock);
        pump.Flush();
        DeferredAssert.SuccessResultOf(opened);
        Assert.Equal("42", client.Response!.Headers.Get("X-Room"));
        client.SendClose(1000);
        pump.Flush();
        Assert.Equal([(true, (int?)1000)], client.Seen.Closes.Select(c => (c.WasClean, c.Code)));
    }
}
