namespace AsyncCore.Mail;

/// <summary>What became of one message of a bulk send (<see cref="BulkSendOptions.OnResult"/>).</summary>
/// <param name="Index">The message's position in the sequence given, from 0.</param>
/// <param name="Message">The message.</param>
/// <param name="Result">The server's answers when it accepted the message (some recipients may have been refused); null when it failed.</param>
/// <param name="Error">Why the message was not sent (an <see cref="SmtpException"/>, with the recipients' answers when the server refused them all); null when it was.</param>
public sealed record BulkSendResult(long Index, OutgoingMessage Message, SendMailResult? Result, Exception? Error)
{
    /// <summary>True when the server accepted the message (for at least one recipient).</summary>
    public bool Sent => Result is not null;
}
