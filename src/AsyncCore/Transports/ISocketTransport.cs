using System.Net.Security;
using System.Net.Sockets;
using AsyncCore.Protocols;

namespace AsyncCore.Transports;

/// <summary>
/// A stream transport over a socket, as every reactor's TCP and UNIX connections are (Twisted's <c>ITCPTransport</c>'s
/// <c>getHandle</c> and <c>ISSLTransport</c>'s peer certificate): cast <see cref="Protocol.Transport"/> to this type to
/// set socket options or read the TLS session. The transport classes themselves are internal and differ by reactor.
/// </summary>
public interface ISocketTransport : ITransport
{
    /// <summary>
    /// The connected socket, for options such as <see cref="Socket.NoDelay"/>. Do not read, write or close it: the
    /// transport owns it.
    /// </summary>
    Socket Socket { get; }

    /// <summary>The TLS stream of a TLS connection (negotiated protocol, remote certificate...); null otherwise.</summary>
    SslStream? TlsStream { get; }
}
