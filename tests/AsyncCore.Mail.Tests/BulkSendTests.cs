using AsyncCore.InMemory;
using AsyncCore.Tasks;
using AsyncCore.Testing;
using MimeKit;

namespace AsyncCore.Mail.Tests;

/// <summary>Runs alone: it reads the process's live heap, which tests running beside it would inflate.</summary>
[CollectionDefinition(nameof(BulkSendCollection), DisableParallelization = true)]
public sealed class BulkSendCollection;

/// <summary>
/// Seed 003's bulk sending: one message per recipient, produced lazily and sent through a <see cref="Cooperator"/> over
/// one reused connection (in memory, no sockets), so that memory does not depend on the number of recipients.
/// </summary>
[Collection(nameof(BulkSendCollection))]
public sealed class BulkSendTests : ReactorTestBase
{
    private const int Recipients = 100_000;

    /// <summary>Accepts everything and counts; keeps nothing.</summary>
    private sealed class CountingDelivery : IMailDelivery
    {
        public int Messages { get; private set; }

        public Deferred<SmtpReply> ValidateSender(MailEnvelope envelope, string sender) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> ValidateRecipient(MailEnvelope envelope, string recipient) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> Deliver(MailEnvelope envelope, Stream message)
        {
            message.CopyTo(Stream.Null);
            Messages++;
            return Deferred.Succeed(new SmtpReply(250, "2.0.0 Queued"));
        }
    }

    [Fact]
    public void HundredThousandRecipients_ThroughACooperator_HoldNoPerRecipientMemory()
    {
        var delivery = new CountingDelivery();
        var server = new EsmtpServerFactory(Clock, delivery, new EsmtpServerOptions { HostName = "mx.test" }).BuildProtocol(Loopback.ClientAddress)!;
        var client = new EsmtpClient(Clock, new SendMailOptions { HeloName = "me.test" });
        // No clock for the pump: it would advance the Clock inside a send, and so run the Cooperator's next tick
        // re-entrantly, inside the iterator's own step.
        var pump = Loopback.Connect(server, client);
        pump.AutoFlush = true;
        pump.Flush();
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Newsletter", "news@example.org"));
        message.Subject = "news";
        message.Body = new TextPart("plain") { Text = "The monthly letter.\r\n" };

        var accepted = 0;
        var heap = new List<long>();
        var early = new List<WeakReference>();
        IEnumerable<Deferred> Sends()
        {
            for (var i = 0; i < Recipients; i++)
            {
                if (i % (Recipients / 10) == 0)
                {
                    heap.Add(GC.GetTotalMemory(forceFullCollection: true));
                }
                var send = client.Send("news@example.org", [$"user{i}@example.org"], message);
                send.AddCallback(result => accepted += result.Accepted.Count);
                if (i < 1000)
                {
                    early.Add(new WeakReference(send));
                }
                yield return send;
            }
        }

        var done = new Cooperator(Clock).Coiterate(Sends());
        while (!done.Called)
        {
            Clock.Advance(TimeSpan.Zero);
        }
        heap.Add(GC.GetTotalMemory(forceFullCollection: true));

        Assert.Equal(Recipients, accepted);
        Assert.Equal(Recipients, delivery.Messages);
        // Nothing keeps a finished send: the first thousand are gone.
        Assert.DoesNotContain(early, reference => reference.IsAlive);
        // The live heap after 100,000 sends is that after 10,000, within 4 MB (40 bytes a recipient): holding every
        // send's Deferred and result, as a DeferredList over all of them does, grows it by tens of MB.
        var growth = heap[^1] - heap[1];
        Assert.True(growth < 4 * 1024 * 1024, $"the live heap grew by {growth:N0} bytes between 10,000 and {Recipients:N0} recipients ({string.Join(", ", heap.Select(h => h.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))})");
        client.Quit();
        pump.Flush();
    }
}
