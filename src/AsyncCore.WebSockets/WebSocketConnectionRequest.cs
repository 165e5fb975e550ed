using System.Net;
using AsyncCore.Web;

namespace AsyncCore.WebSockets;

/// <summary>
/// A client's opening handshake as the server sees it (Autobahn's <c>ConnectionRequest</c>), given to
/// <see cref="WebSocketServerProtocol.OnConnect"/>.
/// </summary>
public sealed class WebSocketConnectionRequest
{
    internal WebSocketConnectionRequest(Request request, IReadOnlyList<string> protocols, IReadOnlyList<string> extensions)
    {
        Peer = request.ClientAddress;
        Headers = request.RequestHeaders;
        Host = request.GetHeader("Host") ?? "";
        Path = request.Path;
        Params = request.Args;
        Origin = request.GetHeader("Origin");
        Protocols = protocols;
        Extensions = extensions;
    }

    /// <summary>The client's address.</summary>
    public EndPoint? Peer { get; }

    /// <summary>Every header field of the request.</summary>
    public Headers Headers { get; }

    /// <summary>The <c>Host</c> header.</summary>
    public string Host { get; }

    /// <summary>The request path, still percent-encoded.</summary>
    public string Path { get; }

    /// <summary>The query arguments.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Params { get; }

    /// <summary>The WebSocket version (always 13: other versions are refused before this point).</summary>
    public int Version => 13;

    /// <summary>The <c>Origin</c> header (browsers send it), or null.</summary>
    public string? Origin { get; }

    /// <summary>The subprotocols the client offers, in its order of preference.</summary>
    public IReadOnlyList<string> Protocols { get; }

    /// <summary>The extensions the client offers, as header text (one per offer).</summary>
    public IReadOnlyList<string> Extensions { get; }

    /// <summary>
    /// Header fields for the server's answer (Autobahn's <c>onConnect</c> returning headers): set them in
    /// <see cref="WebSocketServerProtocol.OnConnect"/> or before <see cref="WebSocketServerProtocol.OnConnectAsync"/>
    /// fires, for the 101 (a cookie) or a refusal (<c>WWW-Authenticate</c>). The handshake's own fields
    /// (<c>Upgrade</c>, <c>Connection</c>, <c>Sec-WebSocket-*</c>) are always the server's.
    /// </summary>
    public Headers ResponseHeaders { get; } = new();
}
