using AsyncCore.Protocols;

namespace AsyncCore.Mail;

/// <summary>
/// Receives one message as it arrives, chunk by chunk (Twisted's <c>smtp.IMessage</c>): what
/// <see cref="IMailDelivery.ReceiveMessage"/> returns at <c>DATA</c>. The bytes are the message dot-unstuffed, as the
/// client sent it (headers and body, CRLF line ends); the server keeps none of them.
/// </summary>
/// <remarks>
/// <para>All are called on the reactor thread. <see cref="Start"/> comes first; then exactly one of
/// <see cref="EndOfMessage"/> and <see cref="Abort"/> ends the message.</para>
/// <para>A receiver whose sink is slower than the client (a file written asynchronously, a queue, a remote store)
/// keeps the handle <see cref="Start"/> gives it and pauses the connection's reading while it catches up, rather than
/// buffering without bound: the client is then held back by TCP flow control.</para>
/// </remarks>
public interface IMailMessageReceiver
{
    /// <summary>
    /// Called at <c>DATA</c>, before the <c>354</c> reply, with a handle on the reading of this message from the
    /// connection: <see cref="IPushProducer.PauseProducing"/> stops it, <see cref="IPushProducer.ResumeProducing"/>
    /// starts it again (Twisted's push producer, as the transport proxy that an HTTP response body's protocol gets in
    /// Twisted's client). The default ignores it: the receiver takes each chunk as it comes.
    /// </summary>
    /// <remarks>
    /// <para>Once <c>PauseProducing</c> returns, <see cref="DataReceived"/> is not called again until
    /// <c>ResumeProducing</c>, even for bytes already read in the same chunk: they are kept, in order, and passed on
    /// when reading resumes (possibly before <c>ResumeProducing</c> returns), and the transport reads nothing
    /// meanwhile, so the receiver holds at most what it chose to hold. Pauses are not counted: one resume undoes two
    /// pauses. Pausing in <c>Start</c> itself is allowed (the message is read once the receiver resumes).</para>
    /// <para>The receiver owns resuming: while it is paused the final <c>.</c> is not read, so
    /// <see cref="EndOfMessage"/> never comes. Nor is a client that went away noticed before the server reads again (a
    /// paused transport reads nothing, not even the end of the connection): <see cref="Abort"/> then comes once the
    /// receiver resumes. A receiver that never resumes holds the connection until the server's
    /// <see cref="EsmtpServerOptions.IdleTimeout"/> closes it (then <see cref="Abort"/>). The size limit still applies
    /// to what is passed on.</para>
    /// <para>The handle is for this message only, as the server guarantees: it stops working (every call is
    /// ignored) before <see cref="EndOfMessage"/> or <see cref="Abort"/> is called, and a pause left behind is lifted
    /// then, so a receiver that keeps the handle cannot pause a later transaction. A message over the size limit is
    /// read to its end whatever the receiver did. <see cref="IProducer.StopProducing"/> closes the connection (as a
    /// transport's does); the receiver then gets <see cref="Abort"/>. The handle is an <see cref="IPushProducer"/>
    /// rather than methods of the server so that it composes: a receiver that forwards the message to another
    /// connection can register it there (<see cref="IConsumer.RegisterProducer"/> with <c>streaming: true</c>) and
    /// that connection's write buffer then paces this one's reading. Call it on the reactor thread only.</para>
    /// </remarks>
    /// <param name="reading">Pauses and resumes the reading of this message.</param>
    void Start(IPushProducer reading)
    {
    }

    /// <summary>
    /// The next bytes of the message, as they arrive: about what one read of the connection brought (not line by line), split only where
    /// a line started with a dot (the stuffing dot is removed). The span is only valid during the call (copy what you
    /// keep). Nothing is called once the message went over the server's size limit, nor while the receiver paused the
    /// reading.
    /// </summary>
    void DataReceived(ReadOnlySpan<byte> data);

    /// <summary>
    /// The final <c>.</c> arrived within the size limit. The reply is the answer to it: positive means the server took
    /// responsibility for the message; any other is sent to the client as is (a failed Deferred gives 451).
    /// </summary>
    Deferred<SmtpReply> EndOfMessage();

    /// <summary>
    /// The message will not be completed: the connection was lost mid-DATA, the message went over the size limit
    /// (the client then gets 552), or <see cref="Start"/> threw (the client gets 451). Drop what was received.
    /// </summary>
    void Abort(Exception reason);
}
