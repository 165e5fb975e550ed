using AsyncCore.Endpoints;
using AsyncCore.Protocols;

namespace AsyncCore.WebSockets;

/// <summary>
/// Standalone WebSocket servers from endpoint strings (Autobahn's <c>listenWS</c>): <c>ws:</c> is a <c>tcp:</c> port and
/// <c>wss:</c> an <c>ssl:</c> one, with the same fields (<c>ws:9000:interface=127.0.0.1</c>,
/// <c>wss:9443:privateKey=key.pem:certKey=cert.pem</c>); any other endpoint string (<c>tcp:</c>, <c>unix:</c>…) is used
/// as it is. Every path of such a server accepts the upgrade (<see cref="WebSocketConnectionRequest.Path"/> tells them
/// apart); to serve pages beside it, use a <see cref="WebSocketResource"/> on a Site instead.
/// </summary>
public static class WebSocketEndpoints
{
    /// <summary>The server endpoint a <c>ws:</c>, <c>wss:</c> or plain endpoint string describes.</summary>
    /// <param name="reactor">The reactor (it must provide what the type needs: TCP, TLS, Unix sockets).</param>
    /// <param name="description">For example <c>ws:9000</c>, <c>wss:9443:privateKey=key.pem:certKey=cert.pem</c> or <c>unix:/run/ws.sock</c>.</param>
    /// <exception cref="EndpointFormatException">The description is malformed or names an unknown type.</exception>
    public static IStreamServerEndpoint ServerFromString(object reactor, string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        var translated = description.StartsWith("ws:", StringComparison.Ordinal) ? "tcp:" + description[3..]
            : description.StartsWith("wss:", StringComparison.Ordinal) ? "ssl:" + description[4..]
            : description;
        return Endpoint.ServerFromString(reactor, translated);
    }

    /// <summary>
    /// Listens with <paramref name="factory"/> on the endpoint <paramref name="description"/> describes (see
    /// <see cref="ServerFromString"/>); fires with the listening port. For TLS with a certificate held in memory, listen
    /// on an <see cref="SslServerEndpoint"/> with the factory instead.
    /// </summary>
    /// <param name="reactor">The reactor.</param>
    /// <param name="description">The endpoint string.</param>
    /// <param name="factory">Builds the protocol of every connection.</param>
    /// <exception cref="EndpointFormatException">The description is malformed or names an unknown type.</exception>
    public static Deferred<IListeningPort> Listen(object reactor, string description, WebSocketServerFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return ServerFromString(reactor, description).Listen(factory);
    }
}
