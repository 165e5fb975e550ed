using System.Text;
using System.Text.RegularExpressions;
using AsyncCore.InMemory;
using AsyncCore.Protocols;

namespace AsyncCore.WebSockets.Tests;

/// <summary>A WebSocket client end on a <see cref="StringTransport"/>: the test plays the server byte by byte.</summary>
internal sealed partial class ClientHarness
{
    public ClientHarness(IReactorTime clock, WebSocketClientOptions? options = null, string url = "ws://example.com:8080/chat?room=1")
    {
        Client.Prepare(WebSocketClient.ParseUrl(url), options ?? new WebSocketClientOptions(), clock);
        Client.MakeConnection(Transport);
        Request = Encoding.Latin1.GetString(Transport.Value());
        Transport.Clear();
        Key = KeyPattern().Match(Request).Groups[1].Value;
    }

    public RecordingClient Client { get; } = new();

    public StringTransport Transport { get; } = new();

    public string Request { get; }

    public string Key { get; }

    public Record Seen => Client.Seen;

    /// <summary>Answers the handshake as a server would, with <paramref name="extraHeaders"/> (CRLF-ended lines).</summary>
    public void Accept(string extraHeaders = "", string? accept = null, byte[]? thenFrames = null)
    {
        var head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
            (accept ?? Handshake.Accept(Key)) + "\r\n" + extraHeaders + "\r\n";
        Client.DataReceived([.. Encoding.ASCII.GetBytes(head), .. thenFrames ?? []]);
    }

    public void Send(params byte[][] chunks)
    {
        foreach (var chunk in chunks)
        {
            Client.DataReceived(chunk);
        }
    }

    public List<WireFrame> Frames()
    {
        var frames = WireFrame.ParseAll(Transport.Value());
        Transport.Clear();
        return frames;
    }

    public void Drop(bool clean = true) =>
        Client.ConnectionLost(new Failure(clean ? new ConnectionDoneException() : new ConnectionLostException("Connection reset by peer.")));

    [GeneratedRegex("Sec-WebSocket-Key: (\\S+)\r\n")]
    private static partial Regex KeyPattern();
}
