using System.Net;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Transports;

/// <summary>The TLS-over-TCP capability of a reactor (Twisted's <c>IReactorSSL</c>).</summary>
public interface IReactorSsl
{
    /// <summary>Like <see cref="IReactorTcp.ListenTcp"/>, with a TLS handshake before <see cref="IProtocol.ConnectionMade"/>.</summary>
    /// <exception cref="CannotListenException">The address cannot be bound.</exception>
    IListeningPort ListenSsl(int port, Factory factory, TlsServerOptions options, int backlog = 50, string interfaceAddress = "");

    /// <summary>Like <see cref="IReactorTcp.ConnectTcp"/>, with a TLS handshake before <see cref="IProtocol.ConnectionMade"/>.</summary>
    IConnector ConnectSsl(string host, int port, ClientFactory factory, TlsClientOptions options, TimeSpan? timeout = null, EndPoint? bindAddress = null);
}
