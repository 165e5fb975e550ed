using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Testing;

namespace AsyncCore.WebSockets.Tests;

/// <summary>Messages received piece by piece (OnMessageBegin, OnMessageFrameData, OnMessageEnd) and sent frame by
/// frame under the transport's backpressure (StreamMessage), in memory.</summary>
public sealed class StreamingTests : ReactorTestBase
{
    /// <summary>A server that never buffers a message: it counts what arrives.</summary>
    private sealed class CountingServer : WebSocketServerProtocol
    {
        public List<string> Events { get; } = [];
        public long Bytes { get; private set; }
        public int WholeMessages { get; private set; }
        public List<(bool WasClean, int? Code)> Closes { get; } = [];
        public Action<CountingServer>? OnOpenAction { get; set; }

        protected override void OnOpen() => OnOpenAction?.Invoke(this);

        protected override void OnMessageBegin(bool isBinary) => Events.Add(isBinary ? "begin binary" : "begin text");

        protected override void OnMessageFrameData(ReadOnlySpan<byte> data)
        {
            Bytes += data.Length;
            Events.Add("data");
        }

        protected override void OnMessageEnd() => Events.Add("end");

        protected override void OnMessage(byte[] payload, bool isBinary) => WholeMessages++;

        protected override void OnClose(bool wasClean, int? code, string? reason) => Closes.Add((wasClean, code));
    }

    private (IOPump Pump, CountingServer Server, RecordingClient Client) Pair(bool compress = false, Action<CountingServer>? onServerOpen = null, long maxMessage = 0)
    {
        CountingServer? server = null;
        var factory = new WebSocketServerFactory(Clock, () => server = new CountingServer { OnOpenAction = onServerOpen },
            new WebSocketServerOptions { PerMessageDeflate = compress ? new() : null, MaxMessagePayloadSize = maxMessage });
        var client = new RecordingClient();
        var opened = WebSocketClient.Prepare(client, "ws://localhost/", new WebSocketClientOptions { PerMessageDeflate = compress ? new() : null }, Clock);
        var pump = Loopback.Connect(factory.BuildProtocol(Loopback.ClientAddress)!, client, Clock);
        pump.Flush();
        DeferredAssert.SuccessResultOf(opened);
        return (pump, server!, client);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Receive_PiecesArriveBeforeTheMessageEnds_NothingBuffered_OnMessageNotCalled(bool compress)
    {
        var (pump, server, client) = Pair(compress);
        client.BeginMessage(isBinary: true);
        client.SendMessageFrame(new byte[100_000]);
        pump.Flush();
        Assert.Equal("begin binary", server.Events[0]);
        Assert.Equal(100_000, server.Bytes);
        Assert.DoesNotContain("end", server.Events);
        client.SendMessageFrame(new byte[50_000]);
        client.EndMessage();
        pump.Flush();
        Assert.Equal(150_000, server.Bytes);
        Assert.Equal("end", server.Events[^1]);
        Assert.Equal(0, server.WholeMessages);
        client.SendClose(1000);
        pump.Flush();
        Assert.Equal([(true, (int?)1000)], server.Closes);
    }

    [Fact]
    public void Receive_AMessageLargerThanAnyBuffer_WithNoMessageLimit_StreamsThrough()
    {
        var (pump, server, client) = Pair(maxMessage: 0);
        client.BeginMessage(isBinary: true);
        var frame = new byte[1024 * 1024];
        for (var i = 0; i < 100; i++)
        {
            client.SendMessageFrame(frame);
            pump.Flush();
        }
        client.EndMessage();
        pump.Flush();
        Assert.Equal(100L * frame.Length, server.Bytes);
        Assert.Equal(["begin binary", "end"], server.Events.Where(e => e != "data"));
    }

    [Fact]
    public void Receive_InvalidUtf8InALaterFrame_Fails1007_AfterTheValidPiecesButWithoutAnEnd()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Text, "valid so far"u8, fin: false), WireFrame.Encode(WireFrame.Continuation, [0xC0, 0x80]));
        h.AssertFailed(1007);
        Assert.Empty(h.Seen.Messages);
    }

    [Fact]
    public void Receive_DefaultCallbacks_StillAssembleTheWholeMessage()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Text, "κό"u8, fin: false), WireFrame.Encode(WireFrame.Continuation, "σμε"u8));
        Assert.Equal(["κόσμε"], h.Seen.Texts);
        h.AssertCleanClose();
    }

    [Fact]
    public void Send_PeerStopsReading_TheSenderPauses_BufferStaysBounded_ThenItFinishes()
    {
        var size = 8 * 1024 * 1024;
        var data = new byte[size];
        new Random(3).NextBytes(data);
        Deferred<bool>? sent = null;
        var (pump, server, client) = Pair();
        pump.ClientTransport.PauseProducing();   // the client stops reading
        sent = server.StreamMessage(new MemoryStream(data), isBinary: true, frameSize: 16 * 1024);
        pump.Flush();
        Assert.False(sent.Called, "the sender waits for the peer");
        var buffered = pump.ServerTransport.BufferedBytes;
        Assert.InRange(buffered, 64 * 1024, 64 * 1024 + 16 * 1024 + 14);
        Assert.Empty(client.Seen.Messages);

        pump.ClientTransport.ResumeProducing();  // reading again
        pump.Flush();
        Assert.True(DeferredAssert.SuccessResultOf(sent));
        var message = Assert.Single(client.Seen.Messages);
        Assert.True(message.IsBinary);
        Assert.Equal(data, message.Payload);
        // The producer was unregistered and the message ended: both kinds of send work again.
        server.SendMessage("after");
        var again = server.StreamMessage(new MemoryStream("streamed again"u8.ToArray()));
        pump.Flush();
        DeferredAssert.SuccessResultOf(again);
        Assert.Equal(["after", "streamed again"], client.Seen.Texts);
    }

    [Fact]
    public void Send_Compressed_TextInManyFrames_ArrivesWhole()
    {
        var text = string.Concat(Enumerable.Range(0, 50_000).Select(i => "line " + i + "\n"));
        var (pump, server, client) = Pair(compress: true);
        var sent = server.StreamMessage(new MemoryStream(Encoding.UTF8.GetBytes(text)), frameSize: 4096);
        pump.Flush();
        Assert.True(DeferredAssert.SuccessResultOf(sent));
        Assert.Equal([text], client.Seen.Texts);
    }

    [Fact]
    public void Send_OtherMessagesWait_ControlFramesGoThrough_AndASecondProducerIsRefused()
    {
        var (pump, server, client) = Pair();
        pump.ClientTransport.PauseProducing();
        var sent = server.StreamMessage(new MemoryStream(new byte[1_000_000]), isBinary: true);
        Assert.Throws<InvalidOperationException>(() => server.SendMessage("now"));
        Assert.Throws<InvalidOperationException>(() => server.StreamMessage(new MemoryStream([1]), isBinary: true));
        server.SendPing("p"u8);
        pump.ClientTransport.ResumeProducing();
        pump.Flush();
        DeferredAssert.SuccessResultOf(sent);
        Assert.Single(client.Seen.Messages);
    }

    [Fact]
    public void Send_PeerVanishesMidMessage_TheDeferredFails_ConnectionLost()
    {
        var (pump, server, client) = Pair();
        pump.ClientTransport.PauseProducing();
        var sent = server.StreamMessage(new MemoryStream(new byte[1_000_000]), isBinary: true);
        pump.Flush();
        Assert.False(sent.Called);
        pump.ClientTransport.AbortConnection();
        pump.Flush();
        DeferredAssert.FailureResultOf(sent, typeof(ConnectionLostException));
        Assert.Equal([(false, (int?)1006)], server.Closes);
    }

    [Fact]
    public void Send_SendCloseWhileTheSenderIsPaused_AbandonsTheMessage_TheCloseHandshakeCompletes()
    {
        var (pump, server, client) = Pair();
        pump.ClientTransport.PauseProducing();
        var sent = server.StreamMessage(new MemoryStream(new byte[1_000_000]), isBinary: true);
        pump.Flush();
        server.SendClose(4001, "enough");
        DeferredAssert.FailureResultOf(sent, typeof(ConnectionLostException));
        pump.ClientTransport.ResumeProducing();
        pump.Flush();
        // The client saw part of a message, then the close frame: the close handshake completes (the partial message
        // is dropped, as a message cut by a close frame).
        Assert.Empty(client.Seen.Messages);
        Assert.Equal([(true, (int?)4001)], server.Closes);
        Assert.Equal([(true, (int?)4001)], client.Seen.Closes.Select(c => (c.WasClean, c.Code)));
    }
}
