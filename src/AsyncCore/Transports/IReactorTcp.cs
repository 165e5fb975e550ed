using System.Net;
using AsyncCore.Protocols;

namespace AsyncCore.Transports;

/// <summary>The TCP capability of a reactor (Twisted's <c>IReactorTCP</c>).</summary>
public interface IReactorTcp
{
    /// <summary>
    /// Binds and listens synchronously; each accepted connection gets a protocol from <paramref name="factory"/>
    /// (null refuses it). Port 0 picks a free port (read it with <see cref="IListeningPort.GetHost"/>).
    /// </summary>
    /// <param name="port">The port, 0 for any.</param>
    /// <param name="factory">Builds the protocols; started now, stopped when the port closes.</param>
    /// <param name="backlog">The listen queue length.</param>
    /// <param name="interfaceAddress">The address to bind: empty for all IPv4 addresses, <c>::</c> for all IPv6 (and IPv4) addresses.</param>
    /// <exception cref="CannotListenException">The address cannot be bound.</exception>
    IListeningPort ListenTcp(int port, Factory factory, int backlog = 50, string interfaceAddress = "");

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/> (a name is resolved off the reactor thread). The factory
    /// hears about the outcome through <see cref="ClientFactory.ClientConnectionFailed"/> and
    /// <see cref="ClientFactory.ClientConnectionLost"/>.
    /// </summary>
    /// <param name="host">A host name or an IPv4/IPv6 literal.</param>
    /// <param name="port">The port.</param>
    /// <param name="factory">Builds the protocol once connected.</param>
    /// <param name="timeout">How long the attempt may take (30 s when null); then it fails with <see cref="ConnectTimeoutException"/>.</param>
    /// <param name="bindAddress">The local address to bind first, or null.</param>
    IConnector ConnectTcp(string host, int port, ClientFactory factory, TimeSpan? timeout = null, EndPoint? bindAddress = null);
}
