namespace AsyncCore.Mail;

/// <summary>
/// A message the server accepted (its reply to the final <c>.</c> was positive), with the answer for each recipient:
/// some may have been refused while the others got the message.
/// </summary>
public sealed class SendMailResult
{
    internal SendMailResult(IReadOnlyList<RecipientResult> recipients, SmtpReply reply)
    {
        Recipients = recipients;
        Reply = reply;
    }

    /// <summary>Every recipient, in the order given, with the server's answer.</summary>
    public IReadOnlyList<RecipientResult> Recipients { get; }

    /// <summary>The recipients the server accepted.</summary>
    public IReadOnlyList<RecipientResult> Accepted => Recipients.Where(r => r.Accepted).ToArray();

    /// <summary>The recipients the server refused.</summary>
    public IReadOnlyList<RecipientResult> Refused => Recipients.Where(r => !r.Accepted).ToArray();

    /// <summary>The server's reply to the end of the message.</summary>
    public SmtpReply Reply { get; }
}
