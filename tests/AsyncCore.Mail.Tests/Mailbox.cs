using System.Collections.Concurrent;

namespace AsyncCore.Mail.Tests;

/// <summary>A delivery that keeps every message; refuses recipients whose local part starts with "nobody".</summary>
internal sealed class Mailbox : IMailDelivery
{
    public List<(MailEnvelope Envelope, byte[] Data)> Messages { get; } = [];

    public ConcurrentQueue<string> Senders { get; } = new();

    public Func<string, Deferred<SmtpReply>>? RecipientCheck { get; set; }

    public Deferred<SmtpReply> ValidateSender(MailEnvelope envelope, string sender)
    {
        Senders.Enqueue(sender);
        return Deferred.Succeed(sender.StartsWith("spammer", StringComparison.Ordinal)
            ? new SmtpReply(550, "5.7.1 Go away")
            : SmtpReply.Ok);
    }

    public Deferred<SmtpReply> ValidateRecipient(MailEnvelope envelope, string recipient)
    {
        if (RecipientCheck is { } check)
        {
            return check(recipient);
        }
        return Deferred.Succeed(recipient.StartsWith("nobody", StringComparison.Ordinal)
            ? new SmtpReply(550, "5.1.1 No such user")
            : SmtpReply.Ok);
    }

    public Deferred<SmtpReply> Deliver(MailEnvelope envelope, Stream message)
    {
        using var copy = new MemoryStream();
        message.CopyTo(copy);
        Messages.Add((envelope, copy.ToArray()));
        return Deferred.Succeed(new SmtpReply(250, "2.0.0 Queued"));
    }
}
