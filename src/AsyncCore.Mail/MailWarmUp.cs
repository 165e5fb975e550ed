using AsyncCore.InMemory;
using AsyncCore.Tasks;
using MimeKit;

namespace AsyncCore.Mail;

/// <summary>
/// One whole SMTP conversation in memory, client and server on a private <see cref="Clock"/>, with no reactor and no
/// socket: run on a worker thread, it makes the JIT compile the send path (the client, MimeKit's message writing, the
/// server) there rather than inside the first send's reactor call.
/// </summary>
/// <remarks>
/// Why: a cold process's first send compiles some 30-50 ms of methods in one reactor call (measured by
/// bench/AsyncCore.Mail.Benchmarks's stall mode), far over the 20 ms a bulk send may hold the reactor. ReadyToRun
/// code removes only part of it (generic instantiations across assemblies are still compiled on first use).
/// </remarks>
internal static class MailWarmUp
{
    /// <summary>Messages the conversation sends: more than one, so the reuse path (the next MAIL behind '.') is compiled too.</summary>
    public const int Messages = 3;

    /// <summary>Runs the conversation; returns how many messages the in-memory server received.</summary>
    public static int Run()
    {
        var clock = new Clock();
        var delivery = new DiscardingDelivery();
        var server = new EsmtpServerFactory(clock, delivery, new EsmtpServerOptions { HostName = "warm-up.invalid" })
            .BuildProtocol(Loopback.ClientAddress)!;
        var client = new EsmtpClient(clock, new SendMailOptions { HeloName = "warm-up.invalid" });
        var pump = Loopback.Connect(server, client, clock);
        pump.AutoFlush = true;
        pump.Flush();
        for (var i = 0; i < Messages; i++)
        {
            client.Send("warm-up@example.org", [$"user{i}@example.org"], Message(i));
            pump.Flush();
        }
        client.Quit();
        pump.Flush();
        return delivery.Received;
    }

    /// <summary>The shapes bulk mail usually has: UTF-8 headers, a text and an HTML alternative, a small attachment.</summary>
    private static MimeMessage Message(int index)
    {
        var body = new BodyBuilder
        {
            TextBody = "Hello, this is the monthly letter.",
            HtmlBody = "<p>Hello, this is the <b>monthly</b> letter.</p>",
        };
        if (index % 2 == 1)
        {
            body.Attachments.Add("note.txt", "a small attachment"u8.ToArray());
        }
        var message = new MimeMessage
        {
            Subject = "Nouvelles du mois \u2013 \u00e9t\u00e9",
            Body = body.ToMessageBody(),
        };
        message.From.Add(new MailboxAddress("Newsletter", "warm-up@example.org"));
        message.To.Add(new MailboxAddress("Reader", $"user{index}@example.org"));
        return message;
    }

    private sealed class DiscardingDelivery : IMailDelivery
    {
        public int Received { get; private set; }

        public Deferred<SmtpReply> ValidateSender(MailEnvelope envelope, string sender) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> ValidateRecipient(MailEnvelope envelope, string recipient) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> Deliver(MailEnvelope envelope, Stream message)
        {
            message.CopyTo(Stream.Null);
            Received++;
            return Deferred.Succeed(new SmtpReply(250, "2.0.0 OK"));
        }
    }
}
