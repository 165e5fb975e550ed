using AsyncCore.Protocols;

namespace AsyncCore.Transports;

/// <summary>The UDP capability of a reactor (Twisted's <c>IReactorUDP</c>).</summary>
public interface IReactorUdp
{
    /// <summary>Binds a datagram socket and starts <paramref name="protocol"/> on it.</summary>
    /// <param name="port">The port, 0 for any.</param>
    /// <param name="protocol">Receives the datagrams.</param>
    /// <param name="interfaceAddress">The address to bind (empty: all IPv4; <c>::</c>: all IPv6).</param>
    /// <param name="maxPacketSize">The largest datagram read.</param>
    /// <exception cref="CannotListenException">The address cannot be bound.</exception>
    IListeningPort ListenUdp(int port, DatagramProtocol protocol, string interfaceAddress = "", int maxPacketSize = 8192);
}
