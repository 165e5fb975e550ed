using System.Text;

namespace AsyncCore.WebSockets.Tests;

/// <summary>What a test protocol saw; both ends record the same things.</summary>
internal sealed class Record
{
    public int Opened { get; set; }
    public List<(byte[] Payload, bool IsBinary)> Messages { get; } = [];
    public List<byte[]> Pings { get; } = [];
    public List<byte[]> Pongs { get; } = [];
    public List<(bool WasClean, int? Code, string? Reason)> Closes { get; } = [];

    public List<string> Texts => [.. Messages.Where(m => !m.IsBinary).Select(m => Encoding.UTF8.GetString(m.Payload))];
}

/// <summary>A server that records and (by default) echoes every message as it came (text as text, binary as binary).</summary>
internal sealed class RecordingServer : WebSocketServerProtocol
{
    public Record Seen { get; } = new();
    public bool Echo { get; set; } = true;
    public Func<WebSocketConnectionRequest, string?>? Connecting { get; set; }

    protected override string? OnConnect(WebSocketConnectionRequest request) => Connecting is { } connecting ? connecting(request) : base.OnConnect(request);

    public Action<RecordingServer>? OnOpenAction { get; set; }

    protected override void OnOpen()
    {
        Seen.Opened++;
        OnOpenAction?.Invoke(this);
    }

    protected override void OnMessage(byte[] payload, bool isBinary)
    {
        Seen.Messages.Add((payload, isBinary));
        if (Echo)
        {
            SendMessage(payload, isBinary);
        }
    }

    protected override void OnPing(byte[] payload) => Seen.Pings.Add(payload);

    protected override void OnPong(byte[] payload) => Seen.Pongs.Add(payload);

    protected override void OnClose(bool wasClean, int? code, string? reason) => Seen.Closes.Add((wasClean, code, reason));
}

/// <summary>A client that records; <see cref="OnOpenAction"/> runs once it is open.</summary>
internal sealed class RecordingClient : WebSocketClientProtocol
{
    public Record Seen { get; } = new();
    public Action<RecordingClient>? OnOpenAction { get; set; }
    public Action<RecordingClient, byte[], bool>? OnMessageAction { get; set; }

    protected override void OnOpen()
    {
        Seen.Opened++;
        OnOpenAction?.Invoke(this);
    }

    protected override void OnMessage(byte[] payload, bool isBinary)
    {
        Seen.Messages.Add((payload, isBinary));
        OnMessageAction?.Invoke(this, payload, isBinary);
    }

    protected override void OnPing(byte[] payload) => Seen.Pings.Add(payload);

    protected override void OnPong(byte[] payload) => Seen.Pongs.Add(payload);

    protected override void OnClose(bool wasClean, int? code, string? reason) => Seen.Closes.Add((wasClean, code, reason));
}
