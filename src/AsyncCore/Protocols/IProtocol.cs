namespace AsyncCore.Protocols;

/// <summary>
/// The receiving side of a stream connection (Twisted's <c>IProtocol</c>): a transport delivers bytes to it and tells it
/// when the connection is made and lost. Every method is called on the reactor thread.
/// </summary>
public interface IProtocol
{
    /// <summary>Attaches the protocol to <paramref name="transport"/> and then calls <see cref="ConnectionMade"/>.</summary>
    void MakeConnection(ITransport transport);

    /// <summary>Called once the connection is established; the transport is available.</summary>
    void ConnectionMade();

    /// <summary>
    /// Called with the bytes that arrived, in chunks of arbitrary size. The span is only valid during the call (it points
    /// into the transport's pooled receive buffer); copy what must be kept.
    /// </summary>
    void DataReceived(ReadOnlySpan<byte> data);

    /// <summary>
    /// Called once when the connection is gone. <paramref name="reason"/> wraps a <see cref="ConnectionDoneException"/>
    /// for a clean close and a <see cref="ConnectionLostException"/> (or <see cref="ConnectionAbortedException"/>) otherwise.
    /// </summary>
    void ConnectionLost(Failure reason);
}

/// <summary>
/// A protocol that wants to know about half-closes (Twisted's <c>IHalfCloseableProtocol</c>): when the peer shuts down its
/// write side, the transport calls <see cref="ReadConnectionLost"/> instead of closing the whole connection.
/// </summary>
public interface IHalfCloseableProtocol
{
    /// <summary>The peer will send no more data; the protocol may still write.</summary>
    void ReadConnectionLost();

    /// <summary>The write side was shut down (after <see cref="ITransport.LoseWriteConnection"/>).</summary>
    void WriteConnectionLost();
}
