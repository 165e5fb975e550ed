using System.Net;
using AsyncCore.Testing;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace AsyncCore.Mail.Tests;

/// <summary>STARTTLS and AUTH end to end over TCP: AsyncCore's client and server, and MailKit as a peer of the server.</summary>
public sealed class StartTlsAuthTests : ReactorTestBase
{
    private static Deferred<bool> AdaOnly(string user, string password) => Deferred.Succeed(user == "ada" && password == "s3cret");

    private static EsmtpServerOptions SecureServer() => new()
    {
        HostName = "mx.test",
        StartTls = TestCertificate.Server,
        RequireTls = true,
        CredentialChecker = AdaOnly,
        RequireAuthentication = true,
    };

    [Fact]
    public Task SendMail_StartTlsThenAuth_DeliversOverTheUpgradedConnection() => RunOnReactor(async reactor =>
    {
        var mailbox = new Mailbox();
        var port = reactor.ListenTcp(0, new EsmtpServerFactory(reactor, mailbox, SecureServer()), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        var options = new SendMailOptions
        {
            StartTls = TestCertificate.Client,
            RequireTransportSecurity = true,
            Credentials = new NetworkCredential("ada", "s3cret"),
        };

        var result = await Mail.SendMail(reactor, $"tcp:127.0.0.1:{portNumber}", "ada@example.org", ["bob@example.org"],
            EsmtpClientTests.NewMessage(), options);

        Assert.Equal(["bob@example.org"], result.Accepted.Select(r => r.Address));
        var (envelope, _) = Assert.Single(mailbox.Messages);
        Assert.True(envelope.Encrypted);
        Assert.Equal("ada", envelope.AuthenticatedUser);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task SendMail_WrongPasswordAfterStartTls_FailsWith535AndDeliversNothing() => RunOnReactor(async reactor =>
    {
        var mailbox = new Mailbox();
        var port = reactor.ListenTcp(0, new EsmtpServerFactory(reactor, mailbox, SecureServer()), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        var options = new SendMailOptions { StartTls = TestCertificate.Client, Credentials = new NetworkCredential("ada", "wrong") };

        var error = await Assert.ThrowsAsync<SmtpException>(() => Mail.SendMail(reactor, $"tcp:127.0.0.1:{portNumber}", "ada@example.org",
            ["bob@example.org"], EsmtpClientTests.NewMessage(), options).AsTask(TestContext.Current.CancellationToken));

        Assert.Equal(535, error.Reply?.Code);
        Assert.False(error.IsTransient);
        Assert.Empty(mailbox.Messages);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task SendMail_StartTlsWithAnUntrustedCertificate_FailsAndSendsNothing() => RunOnReactor(async reactor =>
    {
        var mailbox = new Mailbox();
        var port = reactor.ListenTcp(0, new EsmtpServerFactory(reactor, mailbox, SecureServer()), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        // Trusts nothing: the system store does not hold the self-signed certificate.
        var options = new SendMailOptions { StartTls = AsyncCore.Transports.TlsClientOptions.ForHostname("localhost"), Credentials = new NetworkCredential("ada", "s3cret") };

        var error = await Assert.ThrowsAsync<SmtpException>(() => Mail.SendMail(reactor, $"tcp:127.0.0.1:{portNumber}", "ada@example.org",
            ["bob@example.org"], EsmtpClientTests.NewMessage(), options).AsTask(TestContext.Current.CancellationToken));

        Assert.Contains("TLS", error.Message, StringComparison.Ordinal);
        Assert.Empty(mailbox.Messages);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task MailKit_StartTlsAndAuthPlain_SendsToTheServer() => RunOnReactor(async reactor =>
    {
        var mailbox = new Mailbox();
        var port = reactor.ListenTcp(0, new EsmtpServerFactory(reactor, mailbox, SecureServer()), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;

        await Deferred.FromTask(Task.Run(async () =>
        {
            using var smtp = new SmtpClient { ServerCertificateValidationCallback = (_, certificate, _, _) => certificate?.Subject == "CN=localhost" };
            await smtp.ConnectAsync("localhost", portNumber, SecureSocketOptions.StartTls).ConfigureAwait(false);
            Assert.True(smtp.IsSecure);
            Assert.Contains("PLAIN", smtp.AuthenticationMechanisms);
            await smtp.AuthenticateAsync("ada", "s3cret").ConfigureAwait(false);
            await smtp.SendAsync(EsmtpClientTests.NewMessage()).ConfigureAwait(false);
            await smtp.DisconnectAsync(quit: true).ConfigureAwait(false);
            return true;
        }));

        var (envelope, _) = Assert.Single(mailbox.Messages);
        Assert.True(envelope.Encrypted);
        Assert.Equal("ada", envelope.AuthenticatedUser);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });
}
