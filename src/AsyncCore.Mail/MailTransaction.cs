using MimeKit;

namespace AsyncCore.Mail;

/// <summary>One message on an <see cref="EsmtpClient"/>'s connection: its envelope, the answers so far and its Deferred.</summary>
internal sealed class MailTransaction
{
    public MailTransaction(string sender, IEnumerable<string> recipients, MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(recipients);
        Message = message ?? throw new ArgumentNullException(nameof(message));
        Recipients = recipients.ToArray();
        if (Recipients.Length == 0)
        {
            throw new ArgumentException("At least one recipient is needed.", nameof(recipients));
        }
        foreach (var address in Recipients.Append(sender))
        {
            if (address.AsSpan().IndexOfAny("<>\r\n ") >= 0)
            {
                throw new ArgumentException($"Not an address: \"{address}\".", nameof(recipients));
            }
        }
        Sender = sender;
        Results = new RecipientResult?[Recipients.Length];
    }

    public string Sender { get; }

    public string[] Recipients { get; }

    public MimeMessage Message { get; }

    public RecipientResult?[] Results { get; }

    public SmtpReply? SenderRefused { get; set; }

    public FormatOptions? Format { get; set; }

    public Deferred<SendMailResult> Completion { get; } = new();

    public bool AnyAccepted() => Results.Any(r => r is { Accepted: true });

    public RecipientResult[] FinalResults() =>
        Results.Select((r, i) => r ?? new RecipientResult(Recipients[i], new SmtpReply(554, "no reply"))).ToArray();

    public SmtpException NoRecipients() => new("The server refused every recipient", null, FinalResults());

    public void Succeed(SendMailResult result)
    {
        if (!Completion.Called)
        {
            Completion.Callback(result);
        }
    }

    public void Fail(Exception reason)
    {
        if (!Completion.Called)
        {
            Completion.Errback(reason);
        }
    }
}
