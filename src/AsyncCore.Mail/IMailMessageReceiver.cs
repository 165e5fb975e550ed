namespace AsyncCore.Mail;

/// <summary>
/// Receives one message as it arrives, chunk by chunk (Twisted's <c>smtp.IMessage</c>): what
/// <see cref="IMailDelivery.ReceiveMessage"/> returns at <c>DATA</c>. The bytes are the message dot-unstuffed, as the
/// client sent it (headers and body, CRLF line ends); the server keeps none of them.
/// </summary>
/// <remarks>
/// All three are called on the reactor thread. Exactly one of <see cref="EndOfMessage"/> and <see cref="Abort"/> ends
/// the message.
/// </remarks>
public interface IMailMessageReceiver
{
    /// <summary>
    /// The next bytes of the message, as they arrive. The span is only valid during the call (copy what you keep).
    /// Nothing is called once the message went over the server's size limit.
    /// </summary>
    void DataReceived(ReadOnlySpan<byte> data);

    /// <summary>
    /// The final <c>.</c> arrived within the size limit. The reply is the answer to it: positive means the server took
    /// responsibility for the message; any other is sent to the client as is (a failed Deferred gives 451).
    /// </summary>
    Deferred<SmtpReply> EndOfMessage();

    /// <summary>
    /// The message will not be completed: the connection was lost mid-DATA, or the message went over the size limit
    /// (the client then gets 552). Drop what was received.
    /// </summary>
    void Abort(Exception reason);
}
