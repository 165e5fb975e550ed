namespace AsyncCore.WebSockets;

/// <summary>The settings both ends share (Autobahn's <c>setProtocolOptions</c>).</summary>
public abstract class WebSocketOptions
{
    /// <summary>The largest payload of one incoming frame in bytes (0: no limit); over it the connection fails with 1009.</summary>
    public long MaxFramePayloadSize { get; init; }

    /// <summary>The largest incoming message in bytes, after decompression (0: no limit); over it the connection fails with 1009.</summary>
    public long MaxMessagePayloadSize { get; init; } = 64 * 1024 * 1024;

    /// <summary>Split outgoing messages into frames of at most this many bytes (0: one frame per message).</summary>
    public int AutoFragmentSize { get; init; }

    /// <summary>Check that incoming text (and close reasons) are UTF-8; invalid text fails the connection with 1007.</summary>
    public bool Utf8ValidateIncoming { get; init; } = true;

    /// <summary>On a protocol violation, drop the TCP connection without sending a close frame (Autobahn's <c>failByDrop</c>).</summary>
    public bool FailByDrop { get; init; }

    /// <summary>How long the opening handshake may take (null: no limit).</summary>
    public TimeSpan? OpenHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After sending a close frame, how long to wait for the peer's before dropping the connection.</summary>
    public TimeSpan CloseHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Send a ping this often while the connection is open (null: no keep-alive pings).</summary>
    public TimeSpan? AutoPingInterval { get; init; }

    /// <summary>Drop the connection when a keep-alive ping is not answered within this time (null: never).</summary>
    public TimeSpan? AutoPingTimeout { get; init; }

    /// <summary>permessage-deflate settings (null: not offered, or not accepted).</summary>
    public PerMessageDeflateOptions? PerMessageDeflate { get; init; }
}
