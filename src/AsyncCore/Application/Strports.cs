using AsyncCore.Endpoints;
using AsyncCore.Protocols;

namespace AsyncCore.Application;

/// <summary>Services from endpoint strings (Twisted's <c>application.strports</c>).</summary>
public static class Strports
{
    /// <summary>
    /// A service listening on <paramref name="description"/> (for example <c>tcp:8082</c>, see
    /// <see cref="Endpoint.ServerFromString"/>) with <paramref name="factory"/>. A listen that fails at once makes the
    /// service's start throw, so the application does not start on a port it could not bind.
    /// </summary>
    /// <param name="description">The server endpoint string.</param>
    /// <param name="factory">Builds the protocol of each connection.</param>
    /// <param name="reactor">The reactor to listen with.</param>
    /// <exception cref="EndpointFormatException">The description is malformed.</exception>
    public static StreamServerEndpointService Service(string description, Factory factory, object reactor) =>
        new(Endpoint.ServerFromString(reactor, description), factory) { RaiseSynchronously = true };
}
