using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Testing;
using AsyncCore.Web;

namespace AsyncCore.WebSockets.Tests;

/// <summary>The server's opening handshake on a Site path: what it refuses, what it negotiates, and the hand-over.</summary>
public sealed class ServerHandshakeTests : ReactorTestBase
{
    private const string Upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

    private string Answer(string request, WebSocketServerOptions? options = null, Func<WebSocketConnectionRequest, string?>? connecting = null, List<RecordingServer>? built = null)
    {
        var factory = new WebSocketServerFactory(Clock, () =>
        {
            var server = new RecordingServer { Connecting = connecting };
            built?.Add(server);
            return server;
        }, options);
        var transport = new StringTransport();
        var channel = factory.BuildProtocol(null)!;
        channel.MakeConnection(transport);
        channel.DataReceived(Encoding.ASCII.GetBytes(request));
        return Encoding.Latin1.GetString(transport.Value());
    }

    [Theory]
    [InlineData("GET /ws HTTP/1.1\r\nHost: h\r\n\r\n", "426")]
    [InlineData("POST /ws HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n" + Upgrade + "Sec-WebSocket-Version: 13\r\n\r\n", "405")]
    [InlineData("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", "400")]
    [InlineData("GET /ws HTTP/1.1\r\nHost: h\r\n" + Upgrade + "Sec-WebSocket-Version: 8\r\n\r\n", "426")]
    [InlineData("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n", "400")]
    [InlineData("GET /ws HTTP/1.0\r\n" + Upgrade + "Sec-WebSocket-Version: 13\r\n\r\n", "400")]
    [InlineData("GET /ws HTTP/1.1\r\nHost: h\r\n" + Upgrade + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; =x\r\n\r\n", "400")]
    public void BadHandshake_Refused(string request, string status)
    {
        var answer = Answer(request);
        Assert.StartsWith("HTTP/1.", answer, StringComparison.Ordinal);
        Assert.Equal(status, answer.Split(' ')[1]);
        if (answer.Contains("Sec-WebSocket-Version: 8", StringComparison.Ordinal))
        {
            Assert.Contains("Sec-WebSocket-Version: 13\r\n", answer, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void WrongVersion_AnswerNamesVersion13()
    {
        var answer = Answer("GET /ws HTTP/1.1\r\nHost: h\r\n" + Upgrade + "Sec-WebSocket-Version: 8\r\n\r\n");
        Assert.Contains("Sec-WebSocket-Version: 13\r\n", answer, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://app.example.com", true)]
    [InlineData("https://evil.example.org", false)]
    [InlineData("null", false)]
    public void Origin_CheckedAgainstAllowedOrigins(string origin, bool allowed)
    {
        var options = new WebSocketServerOptions { AllowedOrigins = ["https://*.example.com"], AllowNullOrigin = false };
        var answer = Answer("GET /ws HTTP/1.1\r\nHost: h\r\n" + Upgrade + "Sec-WebSocket-Version: 13\r\nOrigin: " + origin + "\r\n\r\n", options);
        Assert.StartsWith(allowed ? "HTTP/1.1 101 " : "HTTP/1.1 403 ", answer, StringComparison.Ordinal);
    }

    [Fact]
    public void Subprotocol_ServerPicksTheClientsFirstOfferItSpeaks()
    {
        var options = new WebSocketServerOptions { Protocols = ["chat", "superchat"] };
        var answer = Answer("GET /ws HTTP/1.1\r\nHost: h\r\n" + Upgrade + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt, superchat, chat\r\n\r\n", options);
        Assert.Contains("Sec-WebSocket-Protocol: superchat\r\n", answer, StringComparison.Ordinal);
    }

    [Fact]
    public void OnConnect_SeesTheRequest_AndDenies_WithItsStatus_AndOnCloseIsCalled()
    {
        WebSocketConnectionRequest? seen = null;
        var built = new List<RecordingServer>();
        var answer = Answer("GET /ws/room?user=ann HTTP/1.1\r\nHost: h:1\r\n" + Upgrade + "Sec-WebSocket-Version: 13\r\nOrigin: http://o\r\nSec-WebSocket-Protocol: a, b\r\n\r\n",
            connecting: request =>
            {
                seen = request;
                throw new ConnectionDeniedException(401, "who are you");
            }, built: built);
        Assert.StartsWith("HTTP/1.1 401 ", answer, StringComparison.Ordinal);
        Assert.EndsWith("who are you\n", answer, StringComparison.Ordinal);
        Assert.NotNull(seen);
        Assert.Equal(("h:1", "/ws/room", "ann", "http://o"), (seen.Host, seen.Path, seen.Params["user"][0], seen.Origin));
        Assert.Equal(["a", "b"], seen.Protocols);
        Assert.Equal([(false, (int?)1006)], built.Single().Seen.Closes.Select(c => (c.WasClean, c.Code)));
    }

    [Fact]
    public void FramesSentWithTheHandshake_AreTheProtocolsFirstData()
    {
        var factory = new WebSocketServerFactory(Clock, () => new RecordingServer());
        var transport = new StringTransport();
        var channel = factory.BuildProtocol(null)!;
        channel.MakeConnection(transport);
        channel.DataReceived([.. Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: h\r\n" + Upgrade + "Sec-WebSocket-Version: 13\r\n\r\n"), .. WireFrame.Text1("pipelined")]);
        var answer = transport.Value();
        var headEnd = answer.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
        Assert.Equal("pipelined", Assert.Single(WireFrame.ParseAll(answer.AsSpan(headEnd))).Text8);
    }

    [Fact]
    public void OnASitePath_PagesAndTheSocketShareOneSite()
    {
        var root = new Resource();
        root.PutChild("", new Page());
        RecordingServer? server = null;
        root.PutChild("ws", new WebSocketResource(new WebSocketServerFactory(Clock, () => server = new RecordingServer())));
        var site = new Site(root);

        var page = new StringTransport();
        var pageChannel = site.BuildProtocol(null)!;
        pageChannel.MakeConnection(page);
        pageChannel.DataReceived("GET / HTTP/1.1\r\nHost: h\r\n\r\n"u8);
        Assert.EndsWith("<p>page</p>", Encoding.UTF8.GetString(page.Value()), StringComparison.Ordinal);

        var client = new RecordingClient { OnOpenAction = c => c.SendMessage("through the site") };
        client.Prepare(new Uri("ws://h/ws"), new WebSocketClientOptions(), Clock);
        var pump = Loopback.Connect(site.BuildProtocol(null)!, client);
        pump.Flush();
        Assert.Equal(["through the site"], client.Seen.Texts);
        client.SendClose(1000);
        pump.Flush();
        Assert.Equal([(true, (int?)1000, (string?)"")], client.Seen.Closes);
        Assert.Equal([(true, (int?)1000, (string?)"")], server!.Seen.Closes);
    }

    private sealed class Page : Resource
    {
        protected override RenderResult RenderGet(Request request) => "<p>page</p>";
    }
}
