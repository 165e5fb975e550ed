namespace AsyncCore.WebSockets;

/// <summary>Where a WebSocket connection is in its life (RFC 6455's connection states).</summary>
public enum WebSocketState
{
    /// <summary>The opening handshake is under way; nothing may be sent yet.</summary>
    Connecting,

    /// <summary>The handshake is done; messages flow both ways.</summary>
    Open,

    /// <summary>A close frame was sent or received; no more messages are sent.</summary>
    Closing,

    /// <summary>The TCP connection is gone.</summary>
    Closed,
}
