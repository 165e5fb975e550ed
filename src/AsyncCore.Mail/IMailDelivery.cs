namespace AsyncCore.Mail;

/// <summary>
/// What an <see cref="EsmtpServer"/> asks the application (Twisted's <c>smtp.IMessageDelivery</c>): whether to accept
/// a sender, each recipient, and finally the message. Each answer is a Deferred of the reply the client gets, so it may
/// come later (a database look-up); a positive reply (2xx) accepts, any other is sent to the client as is.
/// </summary>
/// <remarks>
/// All are called on the reactor thread; the server reads no further command until the answer is there. The message
/// arrives either whole (<see cref="Deliver"/>, buffered by the server up to its size limit: the simple way) or as it
/// arrives (override <see cref="ReceiveMessage"/>: the server keeps none of it, whatever its size).
/// </remarks>
public interface IMailDelivery
{
    /// <summary>Accepts or refuses the sender of <c>MAIL FROM</c> (an empty string is the null reverse-path <c>&lt;&gt;</c>).</summary>
    Deferred<SmtpReply> ValidateSender(MailEnvelope envelope, string sender);

    /// <summary>Accepts or refuses one recipient of <c>RCPT TO</c>; <see cref="MailEnvelope.Recipients"/> holds those accepted so far.</summary>
    Deferred<SmtpReply> ValidateRecipient(MailEnvelope envelope, string recipient);

    /// <summary>
    /// Receives the message, dot-unstuffed, as the client sent it (headers and body, CRLF line ends), once the whole
    /// message arrived within the size limit. The reply is the answer to the final <c>.</c>: positive means the server
    /// took responsibility for the message. The stream is readable until the returned Deferred fires.
    /// </summary>
    /// <remarks>Only called by the default <see cref="ReceiveMessage"/>, which buffers the message for it.</remarks>
    Deferred<SmtpReply> Deliver(MailEnvelope envelope, Stream message);

    /// <summary>
    /// Called at <c>DATA</c> (before the 354 reply): returns what receives this transaction's message as it arrives.
    /// The default buffers the message in memory and hands it to <see cref="Deliver"/> at the end; override it to
    /// stream the message (to a file, a queue, a parser) without the server holding it; a receiver slower than the
    /// client pauses the reading meanwhile (<see cref="IMailMessageReceiver.Start"/>).
    /// </summary>
    IMailMessageReceiver ReceiveMessage(MailEnvelope envelope) => new BufferedMessageReceiver(this, envelope);
}
