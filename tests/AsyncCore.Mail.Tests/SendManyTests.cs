using System.Net;
using AsyncCore.Protocols;
using AsyncCore.Testing;
using MimeKit;

namespace AsyncCore.Mail.Tests;

/// <summary><see cref="SmtpSender.SendMany(IEnumerable{OutgoingMessage}, BulkSendOptions?)"/> and <see cref="SmtpSender.SendToEach"/>.</summary>
[Collection(nameof(BulkSendCollection))]
public sealed class SendManyTests : ReactorTestBase
{
    private static string Listen(AsyncCore.Reactors.EventLoopReactor reactor, IMailDelivery delivery, out IListeningPort port)
    {
        port = reactor.ListenTcp(0, new EsmtpServerFactory(reactor, delivery, new EsmtpServerOptions { HostName = "mx.test" }), interfaceAddress: "127.0.0.1");
        return "tcp:127.0.0.1:" + ((IPEndPoint)port.GetHost()).Port;
    }

    [Fact]
    public Task SendMany_CountsEachRecipient_ReportsTheRefused_AndKeepsConcurrencyBounded() => RunOnReactor(async reactor =>
    {
        var mailbox = new Mailbox();
        var sender = new SmtpSender(reactor, Listen(reactor, mailbox, out var port), maxConnections: 3);
        const int Count = 60;
        var taken = 0;
        var finished = 0;
        var mostOutstanding = 0;
        IEnumerable<OutgoingMessage> Messages()
        {
            for (var i = 0; i < Count; i++)
            {
                taken++;
                mostOutstanding = Math.Max(mostOutstanding, taken - finished);
                // Every 10th message has one refused recipient of two; message 7 has only refused ones.
                string[] to = i == 7 ? ["nobody7@example.org", "nobody7b@example.org"]
                    : i % 10 == 0 ? [$"r{i}@example.org", $"nobody{i}@example.org"]
                    : [$"r{i}@example.org"];
                yield return new OutgoingMessage("ada@example.org", to, EsmtpClientTests.NewMessage($"message {i}\r\n"));
            }
        }
        var results = new List<BulkSendResult>();
        var summary = await sender.SendMany(Messages(), new BulkSendOptions
        {
            Concurrency = 5,
            OnResult = result =>
            {
                finished++;
                results.Add(result);
            },
        });

        Assert.Equal(Count, summary.Messages);
        Assert.Equal(Count - 1, summary.Sent);
        Assert.Equal(1, summary.Failed);
        Assert.Equal(Count - 1, summary.RecipientsAccepted);
        Assert.Equal(6 + 2, summary.RecipientsRefused);
        Assert.InRange(summary.MaxInFlight, 1, 5);
        Assert.InRange(mostOutstanding, 1, 5);
        Assert.Equal(Count - 1, mailbox.Messages.Count);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => (long)i), results.Select(r => r.Index).Order());
        var failed = Assert.Single(results, r => !r.Sent);
        Assert.Equal(7, failed.Index);
        Assert.Equal(2, Assert.IsType<SmtpException>(failed.Error).Recipients.Count(r => !r.Accepted));
        var partly = results.Single(r => r.Index == 10);
        Assert.Equal(["nobody10@example.org"], partly.Result!.Refused.Select(r => r.Address));
        sender.Close();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task SendToEach_KeepsNoFinishedMessage() => RunOnReactor(async reactor =>
    {
        var mailbox = new CountingMailbox();
        var sender = new SmtpSender(reactor, Listen(reactor, mailbox, out var port), maxConnections: 2);
        const int Count = 2000;
        var early = new List<WeakReference>();
        var earlyGoneAtTheEnd = false;
        MimeMessage MessageFor(string to)
        {
            var message = EsmtpClientTests.NewMessage("Hello " + to + "\r\n");
            if (early.Count < 100)
            {
                early.Add(new WeakReference(message));
            }
            return message;
        }
        var summary = await sender.SendToEach("news@example.org", Enumerable.Range(0, Count).Select(i => $"user{i}@example.org"), MessageFor, new BulkSendOptions
        {
            OnResult = result =>
            {
                if (result.Index == Count - 10)
                {
                    // Near the end, the first hundred messages (and their sends) are garbage: nothing keeps what finished.
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    GC.Collect();
                    earlyGoneAtTheEnd = early.All(reference => !reference.IsAlive);
                }
            },
        });

        Assert.Equal(Count, summary.Sent);
        Assert.Equal(Count, mailbox.Messages);
        Assert.InRange(summary.MaxInFlight, 1, 4);
        Assert.True(earlyGoneAtTheEnd);
        sender.Close();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task SendMany_CallbackThrows_FailsTheSend() => RunOnReactor(async reactor =>
    {
        var mailbox = new CountingMailbox();
        var sender = new SmtpSender(reactor, Listen(reactor, mailbox, out var port));
        var messages = Enumerable.Range(0, 50).Select(i => new OutgoingMessage("a@example.org", [$"r{i}@example.org"], EsmtpClientTests.NewMessage()));
        var send = sender.SendMany(messages, new BulkSendOptions { Concurrency = 1, OnResult = r => throw new InvalidCastException("bad callback") });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => send.AsTask(TestContext.Current.CancellationToken));
        Assert.IsType<InvalidCastException>(error.InnerException);
        // It stopped at the first message instead of sending the fifty.
        Assert.Equal(1, mailbox.Messages);
        sender.Close();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    /// <summary>Accepts everything and counts.</summary>
    private sealed class CountingMailbox : IMailDelivery
    {
        public int Messages { get; private set; }

        public Deferred<SmtpReply> ValidateSender(MailEnvelope envelope, string sender) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> ValidateRecipient(MailEnvelope envelope, string recipient) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> Deliver(MailEnvelope envelope, Stream message)
        {
            Messages++;
            return Deferred.Succeed(new SmtpReply(250, "2.0.0 Queued"));
        }
    }
}
