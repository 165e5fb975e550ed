using AsyncCore.Transports;

namespace AsyncCore.WebSockets;

/// <summary>A client's settings (Autobahn's <c>WebSocketClientFactory</c> options).</summary>
public sealed class WebSocketClientOptions : WebSocketOptions
{
    /// <summary>The subprotocols offered, in order of preference (<c>Sec-WebSocket-Protocol</c>).</summary>
    public IReadOnlyList<string> Protocols { get; init; } = [];

    /// <summary>The <c>Origin</c> header to send (null: none).</summary>
    public string? Origin { get; init; }

    /// <summary>The <c>User-Agent</c> header to send (null: none).</summary>
    public string? UserAgent { get; init; } = "AsyncCore.WebSockets";

    /// <summary>More header fields for the opening request.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Mask outgoing frames (RFC 6455 5.3 requires it). Turn off only for testing.</summary>
    public bool MaskClientFrames { get; init; } = true;

    /// <summary>After the close handshake, how long to wait for the server to close TCP before dropping it.</summary>
    public TimeSpan ServerConnectionDropTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>TLS settings for <c>wss://</c> (null: verify the server against the system's roots for the URL's host).</summary>
    public TlsClientOptions? Tls { get; init; }
}
