// Seed 003: mail to many recipients without blocking the reactor. First a DeferredList over one send per recipient
// (all at once, one connection each), then the same list through SmtpSender.SendToEach: a Cooperator with a bounded
// number of sends in flight over a few reused connections, printing progress.
//   dotnet run --project samples/BulkMail                         # 200 recipients, an in-process SMTP server
//   dotnet run --project samples/BulkMail -- 1000 tcp:127.0.0.1:2525   # N recipients, any SMTP server
using System.Globalization;
using System.Net;
using AsyncCore;
using AsyncCore.Endpoints;
using AsyncCore.Mail;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Protocols;
using MimeKit;

var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
var server = args.Length > 1 ? args[1] : null;
return ReactorMain.React(reactor => BulkMail.Run(reactor, count, server));

internal static class BulkMail
{
    public static async Deferred<int> Run(IReactor reactor, int count, string? serverDescription)
    {
        var mailbox = new CountingMailbox();
        IListeningPort? port = null;
        if (serverDescription is null)
        {
            // An in-process ESMTP server on a free port; it refuses the addresses at invalid.example. Its listen backlog
            // is raised from the default 50: all the sends of phase 1 connect at once, and connections beyond a full
            // accept queue are dropped by the kernel while the client believes it is connected (and waits for the
            // greeting until its timeout).
            port = await Endpoint.ServerFromString(reactor, "tcp:0:interface=127.0.0.1:backlog=1024")
                .Listen(new EsmtpServerFactory(reactor, mailbox, new EsmtpServerOptions { HostName = "mx.example.org" }));
            serverDescription = $"tcp:127.0.0.1:{((IPEndPoint)port.GetHost()).Port}";
        }
        // Every 50th recipient is at a domain the in-process server refuses, to show per-recipient failures.
        var recipients = Enumerable.Range(1, count)
            .Select(i => i % 50 == 0 ? $"user{i}@invalid.example" : $"user{i}@example.org")
            .ToList();
        Console.WriteLine($"sending to {count} recipients through {serverDescription}");
        // Compiles the send path on a worker thread, so the first send's reactor call does not (30-50 ms cold).
        var compiled = await Mail.WarmUp(reactor);
        Console.WriteLine($"send path compiled off the reactor thread in {compiled.TotalMilliseconds:F0} ms");

        // 1. All at once: one Deferred per send, gathered by a DeferredList (each failure counted and handled by Tally).
        var all = new Tally("DeferredList", count);
        var sends = recipients.Select(to => all.Track(Send(reactor, serverDescription, to)));
        _ = await new DeferredList<bool>(sends, consumeErrors: true);
        all.Report();

        // 2. Bounded: SmtpSender.SendToEach takes the recipients one per Cooperator step, with at most `Concurrency`
        //    messages in flight over a few reused connections, so the reactor keeps serving
        //    everything else between steps and memory does not grow with the number of recipients (Twisted's coiterate
        //    idiom, as a library call).
        var sender = new SmtpSender(reactor, serverDescription, maxConnections: 4);
        var bounded = new Tally("SendToEach", count);
        var summary = await sender.SendToEach("news@example.org", recipients, NewsFor, new BulkSendOptions
        {
            Concurrency = 10,
            OnResult = result => bounded.Count(result.Sent, result.Error),
        });
        sender.Close();
        bounded.Report();
        Console.WriteLine($"SendToEach: {summary}");
        Console.WriteLine($"the server received {mailbox.Messages} messages");

        if (port is not null)
        {
            await port.StopListening();
        }
        return 0;
    }

    private static MimeMessage NewsFor(string recipient)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Newsletter", "news@example.org"));
        message.To.Add(MailboxAddress.Parse(recipient));
        message.Subject = "AsyncCore news";
        message.Body = new TextPart("plain") { Text = $"Hello {recipient}, this is the monthly letter." };
        return message;
    }

    private static Deferred<bool> Send(IReactor reactor, string server, string recipient) =>
        Mail.SendMail(reactor, server, "news@example.org", [recipient], NewsFor(recipient)).AddCallback(_ => true);
}

/// <summary>Counts the outcomes of one phase and prints its progress every tenth of the way.</summary>
internal sealed class Tally(string phase, int total)
{
    private int _sent;
    private int _failed;

    public Deferred<bool> Track(Deferred<bool> send) => send.AddCallbacks(
        ok =>
        {
            _sent++;
            Progress();
            return ok;
        },
        failure =>
        {
            // Counted here, and handled: a send that fails must not stop the cooperative task that yielded it.
            _failed++;
            Console.WriteLine($"  {phase}: refused: {failure.GetErrorMessage()}");
            Progress();
            return false;
        });

    /// <summary>Counts one outcome reported by SmtpSender.SendToEach.</summary>
    public void Count(bool sent, Exception? error)
    {
        if (sent)
        {
            _sent++;
        }
        else
        {
            _failed++;
            Console.WriteLine($"  {phase}: refused: {error?.Message}");
        }
        Progress();
    }

    private void Progress()
    {
        var done = _sent + _failed;
        if (done % Math.Max(1, total / 10) == 0 || done == total)
        {
            Console.WriteLine($"  {phase}: {done}/{total}");
        }
    }

    public void Report() => Console.WriteLine($"{phase}: {_sent} delivered, {_failed} refused");
}

/// <summary>Accepts mail for example.org and counts the messages.</summary>
internal sealed class CountingMailbox : IMailDelivery
{
    public int Messages { get; private set; }

    public Deferred<SmtpReply> ValidateSender(MailEnvelope envelope, string sender) => Deferred.Succeed(SmtpReply.Ok);

    public Deferred<SmtpReply> ValidateRecipient(MailEnvelope envelope, string recipient) =>
        Deferred.Succeed(recipient.EndsWith("@example.org", StringComparison.OrdinalIgnoreCase)
            ? SmtpReply.Ok
            : new SmtpReply(550, "5.1.1 No such user here"));

    public Deferred<SmtpReply> Deliver(MailEnvelope envelope, Stream message)
    {
        Messages++;
        return Deferred.Succeed(new SmtpReply(250, "2.0.0 Queued"));
    }
}
