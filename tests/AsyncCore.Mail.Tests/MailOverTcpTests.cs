using System.Net;
using AsyncCore.Testing;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace AsyncCore.Mail.Tests;

public sealed class MailOverTcpTests : ReactorTestBase
{
    [Fact]
    public Task SendMail_ToTheServerOverTcp_ReportsEachRecipient() => RunOnReactor(async reactor =>
    {
        var mailbox = new Mailbox();
        var watch = new ConnectionWatch(new EsmtpServerFactory(reactor, mailbox));
        var port = reactor.ListenTcp(0, watch, interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;

        var result = await Mail.SendMail(reactor, $"tcp:127.0.0.1:{portNumber}", "ada@example.org",
            ["bob@example.org", "nobody@example.org"], EsmtpClientTests.NewMessage(".dot\r\nbody\r\n"));

        Assert.Equal(["bob@example.org"], result.Accepted.Select(r => r.Address));
        Assert.Equal(550, Assert.Single(result.Refused).Reply.Code);
        var received = MimeKit.MimeMessage.Load(new MemoryStream(Assert.Single(mailbox.Messages).Data), TestContext.Current.CancellationToken);
        Assert.Equal(".dot\r\nbody\r\n", Assert.IsType<MimeKit.TextPart>(received.Body).Text.ReplaceLineEndings("\r\n"));
        // The result comes with the reply to the message (as Twisted's sender's); QUIT and the close follow, on the
        // server's side first, then on the client's, which must be gone too before the end-of-test check.
        await watch.Closed;
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task SendMail_NothingListening_FailsWithSmtpException() => RunOnReactor(async reactor =>
    {
        var port = reactor.ListenTcp(0, new EsmtpServerFactory(reactor, new Mailbox()), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        await port.StopListening();
        var error = await Assert.ThrowsAsync<SmtpException>(() =>
            Mail.SendMail(reactor, $"tcp:127.0.0.1:{portNumber}", "a@x", ["b@y"], EsmtpClientTests.NewMessage()).AsTask(TestContext.Current.CancellationToken));
        Assert.StartsWith("Could not connect", error.Message, StringComparison.Ordinal);
        return true;
    });

    [Fact]
    public Task MailKitSmtpClient_SendsToTheServer() => RunOnReactor(async reactor =>
    {
        var mailbox = new Mailbox();
        var watch = new ConnectionWatch(new EsmtpServerFactory(reactor, mailbox));
        var port = reactor.ListenTcp(0, watch, interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        var message = EsmtpClientTests.NewMessage(".leading dot\r\nmore\r\n");
        message.To.Add(new MimeKit.MailboxAddress("Nobody", "nobody@example.org"));

        // MailKit is a blocking-or-Task client: it runs on the thread pool, the server stays on the reactor.
        var refused = new List<string>();
        await Deferred.FromTask(Task.Run(async () =>
        {
            using var smtp = new RecordingSmtpClient(refused);
            await smtp.ConnectAsync("127.0.0.1", portNumber, SecureSocketOptions.None).ConfigureAwait(false);
            Assert.True(smtp.Capabilities.HasFlag(SmtpCapabilities.Pipelining));
            Assert.Equal(10 * 1024 * 1024, (int)smtp.MaxSize);
            await smtp.SendAsync(message).ConfigureAwait(false);
            await smtp.DisconnectAsync(quit: true).ConfigureAwait(false);
            return true;
        }));

        Assert.Contains("nobody@example.org", refused);
        var (envelope, data) = Assert.Single(mailbox.Messages);
        Assert.Equal(["bob@example.org", "secret@example.org"], envelope.Recipients.Order());
        var received = MimeKit.MimeMessage.Load(new MemoryStream(data), TestContext.Current.CancellationToken);
        Assert.Equal(".leading dot\r\nmore\r\n", Assert.IsType<MimeKit.TextPart>(received.Body).Text.ReplaceLineEndings("\r\n"));
        await watch.Closed;
        await port.StopListening();
        return true;
    });

    /// <summary>MailKit, told to go on when a recipient is refused (its default fails the whole send).</summary>
    private sealed class RecordingSmtpClient(List<string> refused) : SmtpClient
    {
        protected override void OnRecipientNotAccepted(MimeKit.MimeMessage message, MimeKit.MailboxAddress mailbox, SmtpResponse response)
        {
            lock (refused)
            {
                refused.Add(mailbox.Address);
            }
        }
    }
}
