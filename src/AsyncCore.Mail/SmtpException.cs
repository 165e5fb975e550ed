namespace AsyncCore.Mail;

/// <summary>
/// A mail transaction failed: the server refused a command (<see cref="Reply"/>), broke the protocol, or the connection
/// was lost or timed out before the message was accepted. Nothing was delivered.
/// </summary>
public class SmtpException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SmtpException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SmtpException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SmtpException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a refusing reply.</summary>
    public SmtpException(string message, SmtpReply? reply, IReadOnlyList<RecipientResult>? recipients = null)
        : base(reply is null ? message : message + ": " + reply)
    {
        Reply = reply;
        Recipients = recipients ?? [];
    }

    /// <summary>The server's reply that ended the transaction, when one did.</summary>
    public SmtpReply? Reply { get; }

    /// <summary>The answers to the recipients given so far (all refused when that is why the transaction failed).</summary>
    public IReadOnlyList<RecipientResult> Recipients { get; } = [];

    /// <summary>True when the failure is temporary (a 4xx reply, a lost connection, a timeout): worth retrying later.</summary>
    public bool IsTransient => Reply is null || Reply.IsTransient;
}
