using System.Net;
using AsyncCore.Web;

namespace AsyncCore.WebSockets;

/// <summary>
/// The server's answer to the opening handshake as the client sees it (Autobahn's <c>ConnectionResponse</c>), given to
/// <see cref="WebSocketClientProtocol.OnConnect"/>.
/// </summary>
public sealed class WebSocketConnectionResponse
{
    internal WebSocketConnectionResponse(EndPoint? peer, Headers headers, string? protocol, IReadOnlyList<string> extensions)
    {
        Peer = peer;
        Headers = headers;
        Protocol = protocol;
        Extensions = extensions;
    }

    /// <summary>The server's address.</summary>
    public EndPoint? Peer { get; }

    /// <summary>Every header field of the 101 answer.</summary>
    public Headers Headers { get; }

    /// <summary>The WebSocket version (13).</summary>
    public int Version => 13;

    /// <summary>The subprotocol the server chose, or null.</summary>
    public string? Protocol { get; }

    /// <summary>The extensions in use, as header text.</summary>
    public IReadOnlyList<string> Extensions { get; }
}
