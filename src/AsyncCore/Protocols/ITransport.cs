using System.Net;

namespace AsyncCore.Protocols;

/// <summary>
/// The sending side of a stream connection (Twisted's <c>ITransport</c> with <c>ITCPTransport</c>'s half-close and
/// <c>IPushProducer</c> for incoming data). Call it only on the reactor thread.
/// </summary>
/// <remarks>
/// Writes are buffered. When the buffer passes the high-water mark, a registered streaming producer is paused; it is resumed
/// once the buffer falls under the low-water mark. Pausing the transport itself (<see cref="IPushProducer.PauseProducing"/>)
/// stops reading from the peer.
/// </remarks>
public interface ITransport : IConsumer, IPushProducer
{
    /// <summary>Writes every buffer in order, as one write where the transport can (a gathered send).</summary>
    void WriteSequence(IEnumerable<ReadOnlyMemory<byte>> data);

    /// <summary>
    /// Closes the connection once all buffered data is sent (and a registered producer is unregistered); the protocol then
    /// gets <see cref="IProtocol.ConnectionLost"/> with <see cref="ConnectionDoneException"/>. Repeated calls do nothing.
    /// </summary>
    void LoseConnection();

    /// <summary>
    /// Drops buffered data and closes at once; <see cref="IProtocol.ConnectionLost"/> follows with
    /// <see cref="ConnectionAbortedException"/>, never re-entrantly. Idempotent.
    /// </summary>
    void AbortConnection();

    /// <summary>
    /// Half-close: sends the buffered data, then shuts down the write side (the peer sees end of stream) while reading goes
    /// on. A protocol implementing <see cref="IHalfCloseableProtocol"/> gets <see cref="IHalfCloseableProtocol.WriteConnectionLost"/>.
    /// </summary>
    void LoseWriteConnection();

    /// <summary>True once <see cref="LoseConnection"/> or <see cref="AbortConnection"/> was called or the connection is gone.</summary>
    bool Disconnecting { get; }

    /// <summary>The remote address.</summary>
    EndPoint? GetPeer();

    /// <summary>The local address.</summary>
    EndPoint? GetHost();
}
