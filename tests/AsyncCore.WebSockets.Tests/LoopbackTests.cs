using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Testing;

namespace AsyncCore.WebSockets.Tests;

/// <summary>An AsyncCore client against an AsyncCore server in memory: messages both ways, compression (the Autobahn
/// testsuite's groups 12 and 13), limits, closes, backpressure and many connections.</summary>
public sealed class LoopbackTests : ReactorTestBase
{
    private (IOPump Pump, RecordingServer Server, RecordingClient Client) Pair(
        WebSocketServerOptions? serverOptions = null, WebSocketClientOptions? clientOptions = null, Action<RecordingClient>? onOpen = null, Action<RecordingServer>? onServerOpen = null)
    {
        RecordingServer? server = null;
        var factory = new WebSocketServerFactory(Clock, () => server = new RecordingServer { OnOpenAction = onServerOpen }, serverOptions);
        var client = new RecordingClient { OnOpenAction = onOpen };
        client.Prepare(new Uri("ws://localhost/ws"), clientOptions ?? new WebSocketClientOptions(), Clock);
        var pump = Loopback.Connect(factory.BuildProtocol(null)!, client);
        pump.Flush();
        return (pump, server!, client);
    }

    private static void CloseCleanly(IOPump pump, RecordingServer server, RecordingClient client)
    {
        client.SendClose(1000);
        pump.Flush();
        Assert.Equal([(true, (int?)1000)], client.Seen.Closes.Select(c => (c.WasClean, c.Code)));
        Assert.Equal([(true, (int?)1000)], server.Seen.Closes.Select(c => (c.WasClean, c.Code)));
    }

    [Fact]
    public void PublicApi_ClientPreparedForALoopback_NoSockets_OpensEchoesAndCloses()
    {
        // What a library's own tests do: only public API, an in-memory connection and a test clock.
        var factory = new WebSocketServerFactory(Clock, () => new RecordingServer(), new WebSocketServerOptions { PerMessageDeflate = new(), Protocols = ["chat"] });
        var client = new RecordingClient { OnOpenAction = c => c.SendMessage("in memory") };
        var opened = WebSocketClient.Prepare(client, "ws://localhost/chat", new WebSocketClientOptions { PerMessageDeflate = new(), Protocols = ["chat"] }, Clock);
        Assert.False(opened.Called);
        var pump = Loopback.Connect(factory.BuildProtocol(Loopback.ClientAddress)!, client, Clock);
        pump.Flush();
        Assert.Same(client, DeferredAssert.SuccessResultOf(opened));
        Assert.Equal("chat", client.Subprotocol);
        Assert.True(client.CompressionNegotiated);
        Assert.Equal(["in memory"], client.Seen.Texts);
        client.SendClose(1000);
        pump.Flush();
        Assert.Equal([(true, (int?)1000)], client.Seen.Closes.Select(c => (c.WasClean, c.Code)));
        Assert.True(pump.ClientTransport.Disconnected && pump.ServerTransport.Disconnected);
        Assert.Throws<InvalidOperationException>(() => WebSocketClient.Prepare(client, "ws://localhost/chat"));
    }

    [Fact]
    public void PublicApi_PreparedClient_RefusedOverALoopback_DeferredFailsWithTheStatus()
    {
        var factory = new WebSocketServerFactory(Clock, () => new RecordingServer { Connecting = _ => throw new ConnectionDeniedException(401, "who are you") });
        var client = new RecordingClient();
        var opened = WebSocketClient.Prepare(client, "ws://localhost/", clock: Clock);
        var pump = Loopback.Connect(factory.BuildProtocol(Loopback.ClientAddress)!, client, Clock);
        pump.Flush();
        var failure = DeferredAssert.FailureResultOf(opened, typeof(WebSocketHandshakeException));
        Assert.Equal(401, ((WebSocketHandshakeException)failure.Value).StatusCode);
    }

    [Fact]
    public void TextBinaryFragmentedAndStreamed_RoundTrip()
    {
        var (pump, server, client) = Pair(onOpen: c =>
        {
            c.SendMessage("hello");
            c.SendMessage(new byte[] { 0, 1, 2, 255 }, isBinary: true);
            c.SendMessage(Encoding.UTF8.GetBytes("fragmented κόσμε"), fragmentSize: 3);
            c.BeginMessage();
            c.SendMessageFrame("str"u8);
            c.SendMessageFrame("eamed"u8);
            c.EndMessage();
        });
        Assert.Equal(["hello", "fragmented κόσμε", "streamed"], client.Seen.Texts);
        Assert.Equal([0, 1, 2, 255], client.Seen.Messages.Single(m => m.IsBinary).Payload);
        Assert.Equal(4, server.Seen.Messages.Count);
        CloseCleanly(pump, server, client);
    }

    [Fact]
    public void ServerStartsTheClose_WithCodeAndReason_BothClean()
    {
        var (pump, server, client) = Pair();
        server.SendClose(4000, "done here");
        pump.Flush();
        Assert.Equal([(true, (int?)4000, (string?)"done here")], client.Seen.Closes);
        Assert.Equal([(true, (int?)4000, (string?)"")], server.Seen.Closes);
    }

    public static TheoryData<bool, bool, int> DeflateParameters() => new()
    {
        { false, false, 0 },
        { true, false, 0 },
        { false, true, 0 },
        { true, true, 0 },
        { false, false, 15 },
        { true, true, 15 },
    };

    [Theory]
    [MemberData(nameof(DeflateParameters))]
    public void Case12_13_Compression_EveryParameterSet_ManyMessagesRoundTrip(bool serverNoContext, bool clientNoContext, int serverBits)
    {
        var deflate = new PerMessageDeflateOptions { ServerNoContextTakeover = serverNoContext, ClientNoContextTakeover = clientNoContext, ServerMaxWindowBits = serverBits == 0 ? null : serverBits };
        var random = new Random(12);
        var sent = new List<byte[]>();
        var (pump, server, client) = Pair(new WebSocketServerOptions { PerMessageDeflate = new() }, new WebSocketClientOptions { PerMessageDeflate = deflate }, c =>
        {
            foreach (var size in new[] { 0, 1, 16, 64, 256, 1024, 4096, 16384, 65536, 131072 })
            {
                for (var repeat = 0; repeat < 3; repeat++)
                {
                    // Half-random text compresses a little, and repeats exercise the context taken over between messages.
                    var text = string.Concat(Enumerable.Range(0, size).Select(i => (char)('a' + (i % 7 == 0 ? random.Next(26) : i % 13))));
                    sent.Add(Encoding.UTF8.GetBytes(text));
                    c.SendMessage(text);
                }
            }
            c.SendMessage(Enumerable.Repeat((byte)7, 100_000).ToArray(), isBinary: true, fragmentSize: 10);
        });
        Assert.True(client.CompressionNegotiated);
        Assert.True(server.CompressionNegotiated);
        Assert.Equal(sent.Select(Encoding.UTF8.GetString), client.Seen.Texts);
        Assert.Equal(100_000, client.Seen.Messages[^1].Payload.Length);
        CloseCleanly(pump, server, client);
    }

    [Fact]
    public void Compression_OfferForASmallerServerWindow_IsDeclined_ConnectionGoesOnUncompressed()
    {
        var (pump, server, client) = Pair(new WebSocketServerOptions { PerMessageDeflate = new() },
            new WebSocketClientOptions { PerMessageDeflate = new PerMessageDeflateOptions { ServerMaxWindowBits = 10 } }, c => c.SendMessage("plain"));
        Assert.False(client.CompressionNegotiated);
        Assert.False(server.CompressionNegotiated);
        Assert.Equal(["plain"], client.Seen.Texts);
        CloseCleanly(pump, server, client);
    }

    [Fact]
    public void Compression_OnTheWire_Rsv1AndDeflateOfThePayload()
    {
        var h = new ServerHarness(Clock, new WebSocketServerOptions { PerMessageDeflate = new() }, extensions: "permessage-deflate; client_max_window_bits, x-other");
        Assert.Contains("Sec-WebSocket-Extensions: permessage-deflate\r\n", h.Head, StringComparison.Ordinal);
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("compress me ", 100)));
        h.Send(WireFrame.Encode(WireFrame.Text, WireFrame.Deflate(text), rsv: 4));
        Assert.Equal(text, Assert.Single(h.Seen.Messages).Payload);
        var echo = Assert.Single(h.Frames());
        Assert.Equal(4, echo.Rsv);
        Assert.True(echo.Payload.Length < text.Length / 4);
        Assert.Equal(text, WireFrame.Inflate(echo.Payload));
        h.AssertCleanClose();
    }

    [Theory]
    [InlineData("permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover")]
    [InlineData("permessage-deflate; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15")]
    [InlineData("permessage-deflate; server_max_window_bits=9", null)]
    [InlineData("permessage-deflate; server_max_window_bits=9, permessage-deflate", "permessage-deflate")]
    [InlineData("permessage-deflate; client_max_window_bits=8", "permessage-deflate")]
    [InlineData("permessage-deflate; unknown_parameter", null)]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover", null)]
    [InlineData("permessage-deflate; server_max_window_bits=16", null)]
    public void Case13_Negotiation_AcceptsWhatItCanHonour(string offer, string? answer)
    {
        var h = new ServerHarness(Clock, new WebSocketServerOptions { PerMessageDeflate = new() }, extensions: offer);
        if (answer is null)
        {
            Assert.DoesNotContain("Sec-WebSocket-Extensions", h.Head, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("Sec-WebSocket-Extensions: " + answer + "\r\n", h.Head, StringComparison.Ordinal);
        }
        h.AssertCleanClose();
    }

    [Fact]
    public void Compression_Rsv1OnAContinuationFrame_FailsWith1002()
    {
        var h = new ServerHarness(Clock, new WebSocketServerOptions { PerMessageDeflate = new() }, extensions: "permessage-deflate");
        var compressed = WireFrame.Deflate("abcdef"u8.ToArray());
        h.Send(WireFrame.Encode(WireFrame.Text, compressed.AsSpan(0, 2), fin: false, rsv: 4), WireFrame.Encode(WireFrame.Continuation, compressed.AsSpan(2), rsv: 4));
        h.AssertFailed(1002);
    }

    [Fact]
    public void Compression_DecompressionBomb_StoppedAtTheMessageLimit_1009()
    {
        var h = new ServerHarness(Clock, new WebSocketServerOptions { PerMessageDeflate = new(), MaxMessagePayloadSize = 100_000 }, extensions: "permessage-deflate");
        h.Send(WireFrame.Encode(WireFrame.Binary, WireFrame.Deflate(new byte[10_000_000]), rsv: 4));
        h.AssertFailed(1009);
        Assert.Empty(h.Seen.Messages);
    }

    [Fact]
    public void Limits_MessageOverMaxMessagePayloadSize_1009_OnTheHeader()
    {
        var h = new ServerHarness(Clock, new WebSocketServerOptions { MaxMessagePayloadSize = 100 });
        h.Send(WireFrame.Encode(WireFrame.Text, new byte[60], fin: false));
        h.Send(WireFrame.Encode(WireFrame.Continuation, new byte[41])[..8]); // the header alone is enough
        h.AssertFailed(1009);
    }

    [Fact]
    public void Limits_FrameOverMaxFramePayloadSize_1009()
    {
        var h = new ServerHarness(Clock, new WebSocketServerOptions { MaxFramePayloadSize = 1000 });
        h.Send(WireFrame.Encode(WireFrame.Binary, new byte[1000]));
        Assert.Single(h.Frames());
        h.Send(WireFrame.Encode(WireFrame.Binary, new byte[1001])[..8]); // the header alone
        h.AssertFailed(1009);
    }

    [Fact]
    public void Limits_64BitLengthWithTopBitSet_1002()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Binary, [], lengthOverride: long.MinValue)[..14]);
        h.AssertFailed(1002);
    }

    [Fact]
    public void Masking_UnmaskedClientFrame_1002()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Text, "plain"u8, mask: false));
        h.AssertFailed(1002);
        Assert.Empty(h.Seen.Messages);
    }

    [Fact]
    public void FailByDrop_ProtocolError_ClosesWithoutACloseFrame()
    {
        var h = new ServerHarness(Clock, new WebSocketServerOptions { FailByDrop = true });
        h.Send(WireFrame.Encode(3, []));
        Assert.Empty(h.Frames());
        Assert.True(h.Transport.Disconnecting);
        h.Drop();
        Assert.Equal([(false, (int?)1002)], h.Seen.Closes.Select(c => (c.WasClean, c.Code)));
    }

    [Fact]
    public void PeerVanishesMidMessage_OnCloseUnclean1006_Once()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Text, "hal"u8, fin: false), WireFrame.Encode(WireFrame.Continuation, new byte[100])[..50]);
        h.Drop(clean: false);
        var close = Assert.Single(h.Seen.Closes);
        Assert.Equal((false, (int?)1006), (close.WasClean, close.Code));
        Assert.Empty(h.Seen.Messages);
    }

    [Fact]
    public void AutoPing_AnsweredKeepsTheConnection_UnansweredDropsIt()
    {
        var h = new ServerHarness(Clock, new WebSocketServerOptions { AutoPingInterval = TimeSpan.FromSeconds(10), AutoPingTimeout = TimeSpan.FromSeconds(5) });
        Clock.Advance(TimeSpan.FromSeconds(10));
        var ping = Assert.Single(h.Frames());
        Assert.Equal(WireFrame.Ping, ping.Opcode);
        h.Send(WireFrame.Encode(WireFrame.Pong, ping.Payload));
        Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.False(h.Transport.Disconnecting);
        Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(WireFrame.Ping, Assert.Single(h.Frames()).Opcode);
        Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True(h.Transport.Disconnecting);
        h.Drop(clean: false);
        Assert.Contains("keep-alive", Assert.Single(h.Seen.Closes).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Backpressure_ASlowPeerPausesTheServersProducer_ThenItResumes()
    {
        Streamer? streamer = null;
        var (pump, server, client) = Pair(onServerOpen: s =>
        {
            streamer = new Streamer(s, 200);
            s.RegisterProducer(streamer, streaming: true);
            streamer.ResumeProducing();
        });
        // 800 KB went through a transport whose buffer pauses its producer above 64 KiB: it was paused, resumed as the
        // client read, and the buffer never held much more than the high-water mark.
        Assert.NotNull(streamer);
        Assert.True(streamer.Pauses > 0, "the transport paused the producer");
        Assert.InRange(streamer.MostBuffered, 64 * 1024, 64 * 1024 + 4096 + 14);
        Assert.Equal(200, streamer.Sent);
        Assert.Equal(200, client.Seen.Messages.Count);
        server.UnregisterProducer();
        CloseCleanly(pump, server, client);
    }

    [Fact]
    public void TenThousandConnections_OpenedAndClosed_NoneLeft()
    {
        var closed = 0;
        for (var i = 0; i < 10_000; i++)
        {
            var (pump, server, client) = Pair(onOpen: c => c.SendMessage("x"));
            client.SendClose(1000);
            pump.Flush();
            Assert.True(pump.ServerTransport.Disconnected && pump.ClientTransport.Disconnected);
            if (client.Seen.Closes is [(true, 1000, _)] && server.Seen.Closes is [(true, 1000, _)])
            {
                closed++;
            }
        }
        Assert.Equal(10_000, closed);
    }

    private sealed class Streamer(WebSocketProtocol protocol, int total) : IPushProducer
    {
        private bool _paused;

        public int Sent { get; private set; }

        public int Pauses { get; private set; }

        public long MostBuffered { get; private set; }

        public void PauseProducing()
        {
            _paused = true;
            Pauses++;
        }

        public void ResumeProducing()
        {
            _paused = false;
            while (!_paused && Sent < total)
            {
                protocol.SendMessage(new byte[4096], isBinary: true);
                Sent++;
                MostBuffered = Math.Max(MostBuffered, ((FakeTransport)protocol.Transport).BufferedBytes);
            }
        }

        public void StopProducing() => _paused = true;
    }
}
