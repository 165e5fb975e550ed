namespace AsyncCore.Mail;

/// <summary>
/// Counts of a bulk send (<see cref="SmtpSender.SendMany(IEnumerable{OutgoingMessage}, BulkSendOptions?)"/>): kept as
/// the messages finish, so their number does not grow with the number of messages (the details of each message go to
/// <see cref="BulkSendOptions.OnResult"/>, which may keep what it wants).
/// </summary>
public sealed class BulkSendSummary
{
    /// <summary>Messages finished (sent or failed).</summary>
    public long Messages { get; internal set; }

    /// <summary>Messages the server accepted (for at least one recipient).</summary>
    public long Sent { get; internal set; }

    /// <summary>Messages not sent: refused (sender, every recipient, or the message) or never delivered (connection failures after the retries).</summary>
    public long Failed { get; internal set; }

    /// <summary>Recipients the server accepted, over every sent message.</summary>
    public long RecipientsAccepted { get; internal set; }

    /// <summary>Recipients the server refused: in sent messages, and in messages failed because every recipient was refused.</summary>
    public long RecipientsRefused { get; internal set; }

    /// <summary>The most messages in flight at once (never more than <see cref="BulkSendOptions.Concurrency"/>).</summary>
    public int MaxInFlight { get; internal set; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Messages} messages: {Sent} sent, {Failed} failed; {RecipientsAccepted} recipients accepted, {RecipientsRefused} refused";
}
