using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;

namespace AsyncCore.WebSockets.Tests;

/// <summary>
/// A WebSocket server end on a <see cref="StringTransport"/>: the opening handshake is sent as raw HTTP, then the test
/// writes frames byte by byte as it likes and reads what the server wrote back (the Autobahn fuzzing client's seat).
/// </summary>
internal sealed class ServerHarness
{
    public ServerHarness(IReactorTime clock, WebSocketServerOptions? options = null, string? extensions = null, string? extraHeaders = null, bool expectOpen = true)
    {
        Factory = new WebSocketServerFactory(clock, () => Server = new RecordingServer(), options);
        Channel = Factory.BuildProtocol(null)!;
        Channel.MakeConnection(Transport);
        var request = "GET /ws?x=1 HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
            (extensions is null ? "" : "Sec-WebSocket-Extensions: " + extensions + "\r\n") + (extraHeaders ?? "") + "\r\n";
        Channel.DataReceived(Encoding.ASCII.GetBytes(request));
        Head = Encoding.Latin1.GetString(Transport.Value());
        Transport.Clear();
        if (expectOpen)
        {
            Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", Head, StringComparison.Ordinal);
            Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", Head, StringComparison.Ordinal);
        }
    }

    public WebSocketServerFactory Factory { get; }

    public StringTransport Transport { get; } = new();

    public IProtocol Channel { get; }

    public RecordingServer? Server { get; private set; }

    public Record Seen => Server!.Seen;

    /// <summary>The server's answer to the opening handshake.</summary>
    public string Head { get; }

    public void Send(params byte[][] chunks)
    {
        foreach (var chunk in chunks)
        {
            Channel.DataReceived(chunk);
        }
    }

    /// <summary>Sends bytes in pieces of <paramref name="size"/>.</summary>
    public void SendChopped(byte[] data, int size)
    {
        for (var i = 0; i < data.Length; i += size)
        {
            Channel.DataReceived(data.AsSpan(i, Math.Min(size, data.Length - i)));
        }
    }

    /// <summary>Every frame the server wrote since the last call.</summary>
    public List<WireFrame> Frames()
    {
        var frames = WireFrame.ParseAll(Transport.Value());
        Transport.Clear();
        return frames;
    }

    /// <summary>The TCP connection goes (cleanly unless told otherwise), as after the server's own LoseConnection.</summary>
    public void Drop(bool clean = true) =>
        Channel.ConnectionLost(new Failure(clean ? new ConnectionDoneException() : new ConnectionLostException("Connection reset by peer.")));

    /// <summary>Asserts that the server failed the connection with <paramref name="code"/> and closed TCP.</summary>
    public void AssertFailed(int code, List<WireFrame>? frames = null)
    {
        frames ??= Frames();
        Assert.NotEmpty(frames);
        Assert.Equal(WireFrame.Close, frames[^1].Opcode);
        Assert.Equal(code, frames[^1].CloseCode);
        Assert.True(Transport.Disconnecting, "the server closes TCP after failing");
        Drop();
        Assert.Equal([(false, (int?)code)], Seen.Closes.Select(c => (c.WasClean, c.Code)));
    }

    /// <summary>Completes a clean close started by the test: close frame, the server's echo, then TCP.</summary>
    public void AssertCleanClose(int? code = 1000)
    {
        Send(WireFrame.CloseFrame(code));
        var frames = Frames();
        Assert.Equal(WireFrame.Close, frames[^1].Opcode);
        Assert.Equal(code, frames[^1].CloseCode);
        Assert.True(Transport.Disconnecting);
        Drop();
        Assert.Equal([(true, code)], Seen.Closes.Select(c => (c.WasClean, c.Code)));
    }
}
