using System.Text;
using AsyncCore.Testing;

namespace AsyncCore.WebSockets.Tests;

/// <summary>The client end: its opening request, its checks of the server's answer, and its framing rules.</summary>
public sealed class ClientTests : ReactorTestBase
{
    [Fact]
    public void Request_IsAnUpgradeWithKeyVersionHostPathAndOffers()
    {
        var h = new ClientHarness(Clock, new WebSocketClientOptions { Protocols = ["chat", "v2"], Origin = "http://example.com", PerMessageDeflate = new() });
        Assert.StartsWith("GET /chat?room=1 HTTP/1.1\r\nHost: example.com:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", h.Request, StringComparison.Ordinal);
        Assert.True(Handshake.IsValidKey(h.Key));
        Assert.Contains("Sec-WebSocket-Version: 13\r\n", h.Request, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Protocol: chat, v2\r\n", h.Request, StringComparison.Ordinal);
        Assert.Contains("Origin: http://example.com\r\n", h.Request, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Extensions: permessage-deflate\r\n", h.Request, StringComparison.Ordinal);
        h.Client.SendClose();
        h.Drop();
        DeferredAssert.FailureResultOf(h.Client.WhenOpen, typeof(WebSocketHandshakeException));
        Assert.Equal([(false, (int?)1006)], h.Seen.Closes.Select(c => (c.WasClean, c.Code)));
    }

    [Fact]
    public void Answer_Accepted_OpensAndReadsFramesThatCameWithIt()
    {
        var h = new ClientHarness(Clock, new WebSocketClientOptions { Protocols = ["chat"] });
        h.Accept("Sec-WebSocket-Protocol: chat\r\n", thenFrames: WireFrame.Encode(WireFrame.Text, "early"u8, mask: false));
        Assert.Equal(WebSocketState.Open, h.Client.State);
        Assert.Equal("chat", h.Client.Subprotocol);
        Assert.Equal(["early"], h.Seen.Texts);
        Assert.True(h.Client.WhenOpen.Called);
        h.Client.SendMessage("hi");
        var frame = Assert.Single(h.Frames());
        Assert.True(frame.Masked, "a client masks every frame");
        Assert.Equal("hi", frame.Text8);
    }

    [Theory]
    [InlineData("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 403)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: wrong\r\n\r\n", null)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n", null)]
    public void Answer_Refused_HandshakeFails_OnCloseUnclean(string answer, int? status)
    {
        var h = new ClientHarness(Clock);
        h.Send(Encoding.ASCII.GetBytes(answer));
        Assert.True(h.Transport.Disconnecting);
        h.Drop(clean: false);
        var failure = DeferredAssert.FailureResultOf(h.Client.WhenOpen, typeof(WebSocketHandshakeException));
        Assert.Equal(status, ((WebSocketHandshakeException)failure.Value).StatusCode);
        var close = Assert.Single(h.Seen.Closes);
        Assert.Equal((false, (int?)1006), (close.WasClean, close.Code));
        Assert.Equal(0, h.Seen.Opened);
    }

    [Theory]
    [InlineData("Sec-WebSocket-Protocol: other\r\n")]
    [InlineData("Sec-WebSocket-Extensions: permessage-deflate\r\n")]
    [InlineData("Sec-WebSocket-Extensions: x-unknown\r\n")]
    public void Answer_WithSomethingNotOffered_HandshakeFails(string header)
    {
        var h = new ClientHarness(Clock);
        h.Accept(header);
        Assert.True(h.Transport.Disconnecting);
        h.Drop(clean: false);
        DeferredAssert.FailureResultOf(h.Client.WhenOpen, typeof(WebSocketHandshakeException));
    }

    [Fact]
    public void Answer_ClientMaxWindowBitsBelow15_CannotBeHonoured_HandshakeFails()
    {
        var h = new ClientHarness(Clock, new WebSocketClientOptions { PerMessageDeflate = new() });
        h.Accept("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n");
        Assert.True(h.Transport.Disconnecting);
        h.Drop(clean: false);
        DeferredAssert.FailureResultOf(h.Client.WhenOpen, typeof(WebSocketHandshakeException));
    }

    [Fact]
    public void NoAnswer_OpenHandshakeTimeout_Drops()
    {
        var h = new ClientHarness(Clock, new WebSocketClientOptions { OpenHandshakeTimeout = TimeSpan.FromSeconds(2) });
        Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(h.Transport.Disconnecting);
        h.Drop(clean: false);
        Assert.Contains("in time", DeferredAssert.FailureResultOf(h.Client.WhenOpen, typeof(WebSocketHandshakeException)).Value.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaskedServerFrame_FailsWith1002()
    {
        var h = new ClientHarness(Clock);
        h.Accept();
        h.Send(WireFrame.Encode(WireFrame.Text, "masked"u8, mask: true));
        var frame = Assert.Single(h.Frames());
        Assert.Equal(1002, frame.CloseCode);
        h.Drop();
        Assert.Equal([(false, (int?)1002)], h.Seen.Closes.Select(c => (c.WasClean, c.Code)));
    }

    [Fact]
    public void CloseHandshake_ClientStarts_WaitsForTheServerToCloseTcp_Clean()
    {
        var h = new ClientHarness(Clock);
        h.Accept();
        h.Client.SendClose(1000, "bye");
        var sent = Assert.Single(h.Frames());
        Assert.Equal(WireFrame.Close, sent.Opcode);
        Assert.Equal([0x03, 0xe8, .. "bye"u8], sent.Payload);
        Assert.Equal(WebSocketState.Closing, h.Client.State);
        h.Send(WireFrame.Encode(WireFrame.Close, [0x03, 0xe8], mask: false));
        Assert.False(h.Transport.Disconnecting, "the client leaves closing TCP to the server");
        h.Drop();
        Assert.Equal([(true, (int?)1000, (string?)"")], h.Seen.Closes);
    }

    [Fact]
    public void CloseHandshake_ServerNeverClosesTcp_ClientDropsAfterTimeout_Unclean()
    {
        var h = new ClientHarness(Clock);
        h.Accept();
        h.Send(WireFrame.Encode(WireFrame.Close, [0x03, 0xe8], mask: false));
        Assert.Equal(1000, Assert.Single(h.Frames()).CloseCode);
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(h.Transport.Disconnecting);
        h.Drop(clean: false);
        Assert.Equal([(false, (int?)1006)], h.Seen.Closes.Select(c => (c.WasClean, c.Code)));
    }

    [Fact]
    public void CloseHandshake_PeerNeverAnswersTheClose_DroppedAfterCloseHandshakeTimeout()
    {
        var h = new ClientHarness(Clock, new WebSocketClientOptions { CloseHandshakeTimeout = TimeSpan.FromSeconds(3) });
        h.Accept();
        h.Client.SendClose(4001);
        Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.True(h.Transport.Disconnecting);
        h.Drop(clean: false);
        var close = Assert.Single(h.Seen.Closes);
        Assert.False(close.WasClean);
        Assert.Contains("did not answer the close frame", close.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(999)]
    [InlineData(1002)]
    [InlineData(2999)]
    [InlineData(5000)]
    public void SendClose_CodeAnApplicationMayNotSend_Throws(int code)
    {
        var h = new ClientHarness(Clock);
        h.Accept();
        Assert.Throws<ArgumentOutOfRangeException>(() => h.Client.SendClose(code));
        Assert.Throws<ArgumentException>(() => h.Client.SendClose(1000, new string('x', 124)));
        Assert.Throws<ArgumentException>(() => h.Client.SendClose(null, "reason without code"));
        h.Drop();
    }

    [Fact]
    public void SendMessage_BeforeOpen_Throws_AfterClose_Dropped()
    {
        var h = new ClientHarness(Clock);
        Assert.Throws<InvalidOperationException>(() => h.Client.SendMessage("too early"));
        h.Accept();
        h.Client.SendClose();
        h.Frames();
        h.Client.SendMessage("too late");
        Assert.Empty(h.Frames());
        h.Drop();
    }

    [Fact]
    public void SendPing_Over125Bytes_Throws()
    {
        var h = new ClientHarness(Clock);
        h.Accept();
        Assert.Throws<ArgumentException>(() => h.Client.SendPing(new byte[126]));
        h.Drop();
    }
}
