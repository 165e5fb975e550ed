using System.Net;
using System.Text;
using AsyncCore.Protocols;
using AsyncCore.Testing;

namespace AsyncCore.Mail.Tests;

/// <summary>AsyncCore's <see cref="EsmtpServer"/> driven by the real <c>swaks</c> client (Debian package swaks).</summary>
public sealed class SwaksPeerTests : ReactorTestBase
{
    private const string Swaks = "/usr/bin/swaks";

    private static Deferred<bool> AdaOnly(string user, string password) => Deferred.Succeed(user == "ada" && password == "s3cret");

    /// <summary>Runs swaks against the server on <paramref name="port"/>; its exit code and output.</summary>
    private static Deferred<(int ExitCode, string Output)> RunSwaks(int port, string to, params string[] extra) =>
        Deferred.FromTask(Task.Run(async () =>
        {
            string[] arguments =
            [
                "--server", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--helo", "client.test", "--from", "ada@example.org", "--to", to,
                "--header", "Subject: from swaks", "--body", "hello from swaks", .. extra,
            ];
            using var swaks = PeerProcess.Start(Swaks, arguments);
            var code = await swaks.ExitCode().ConfigureAwait(false);
            return (code, swaks.Output);
        }));

    private static (IListeningPort Port, int Number) Listen(AsyncCore.Reactors.EventLoopReactor reactor, Mailbox mailbox, EsmtpServerOptions options)
    {
        var port = reactor.ListenTcp(0, new EsmtpServerFactory(reactor, mailbox, options), interfaceAddress: "127.0.0.1");
        return (port, ((IPEndPoint)port.GetHost()).Port);
    }

    [Fact]
    public Task PlainDelivery_ReachesTheDeliveryInterface() => RunOnReactor(async reactor =>
    {
        PeerProcess.Require(Swaks, "swaks");
        var mailbox = new Mailbox();
        var (port, number) = Listen(reactor, mailbox, new EsmtpServerOptions { HostName = "mx.test" });

        var (code, output) = await RunSwaks(number, "bob@example.org");

        Assert.True(code == 0, output);
        var (envelope, data) = Assert.Single(mailbox.Messages);
        Assert.Equal("client.test", envelope.Helo);
        Assert.Equal("ada@example.org", envelope.Sender);
        Assert.Equal(["bob@example.org"], envelope.Recipients);
        Assert.False(envelope.Encrypted);
        var text = Encoding.UTF8.GetString(data);
        Assert.Contains("Subject: from swaks", text, StringComparison.Ordinal);
        Assert.Contains("hello from swaks", text, StringComparison.Ordinal);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task StartTls_WithACertificateSwaksVerifies_DeliversEncrypted() => RunOnReactor(async reactor =>
    {
        PeerProcess.Require(Swaks, "swaks");
        var directory = Directory.CreateTempSubdirectory("asynccore-swaks-");
        try
        {
            var (certificate, _) = TestCertificate.WritePem(directory.FullName);
            var mailbox = new Mailbox();
            var (port, number) = Listen(reactor, mailbox, new EsmtpServerOptions { HostName = "mx.test", StartTls = TestCertificate.Server, RequireTls = true });

            var (code, output) = await RunSwaks(number, "bob@example.org", "--tls", "--tls-verify", "--tls-ca-path", certificate, "--tls-sni", "localhost");

            Assert.True(code == 0, output);
            Assert.Contains("STARTTLS", output, StringComparison.Ordinal);
            var (envelope, _) = Assert.Single(mailbox.Messages);
            Assert.True(envelope.Encrypted);
            await port.StopListening();
            return true;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    });

    [Fact]
    public Task RequireTls_SwaksWithoutTls_IsRefusedAndNothingIsDelivered() => RunOnReactor(async reactor =>
    {
        PeerProcess.Require(Swaks, "swaks");
        var mailbox = new Mailbox();
        var (port, number) = Listen(reactor, mailbox, new EsmtpServerOptions { HostName = "mx.test", StartTls = TestCertificate.Server, RequireTls = true });

        var (code, output) = await RunSwaks(number, "bob@example.org");

        // swaks exits 23 when MAIL FROM is refused (530: STARTTLS first).
        Assert.True(code == 23, output);
        Assert.Contains("530", output, StringComparison.Ordinal);
        Assert.Empty(mailbox.Messages);
        await port.StopListening();
        return true;
    });

    [Theory]
    [InlineData("PLAIN")]
    [InlineData("LOGIN")]
    public Task AuthOverStartTls_AuthenticatesTheEnvelope(string mechanism) => RunOnReactor(async reactor =>
    {
        PeerProcess.Require(Swaks, "swaks");
        var mailbox = new Mailbox();
        var options = new EsmtpServerOptions
        {
            HostName = "mx.test",
            StartTls = TestCertificate.Server,
            CredentialChecker = AdaOnly,
            RequireAuthentication = true,
        };
        var (port, number) = Listen(reactor, mailbox, options);

        var (code, output) = await RunSwaks(number, "bob@example.org", "--tls", "--auth", mechanism, "--auth-user", "ada", "--auth-password", "s3cret");

        Assert.True(code == 0, output);
        var (envelope, _) = Assert.Single(mailbox.Messages);
        Assert.True(envelope.Encrypted);
        Assert.Equal("ada", envelope.AuthenticatedUser);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task AuthLoginWithoutTls_WhenAllowed_Authenticates() => RunOnReactor(async reactor =>
    {
        PeerProcess.Require(Swaks, "swaks");
        var mailbox = new Mailbox();
        var options = new EsmtpServerOptions { HostName = "mx.test", CredentialChecker = AdaOnly, AllowAuthenticationWithoutTls = true };
        var (port, number) = Listen(reactor, mailbox, options);

        var (code, output) = await RunSwaks(number, "bob@example.org", "--auth", "LOGIN", "--auth-user", "ada", "--auth-password", "s3cret");

        Assert.True(code == 0, output);
        Assert.Equal("ada", Assert.Single(mailbox.Messages).Envelope.AuthenticatedUser);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task WrongPassword_Is535_AndNothingIsDelivered() => RunOnReactor(async reactor =>
    {
        PeerProcess.Require(Swaks, "swaks");
        var mailbox = new Mailbox();
        var options = new EsmtpServerOptions
        {
            HostName = "mx.test",
            StartTls = TestCertificate.Server,
            CredentialChecker = AdaOnly,
            RequireAuthentication = true,
        };
        var (port, number) = Listen(reactor, mailbox, options);

        var (code, output) = await RunSwaks(number, "bob@example.org", "--tls", "--auth", "PLAIN", "--auth-user", "ada", "--auth-password", "wrong");

        // swaks exits 28 when authentication fails.
        Assert.True(code == 28, output);
        Assert.Contains("535", output, StringComparison.Ordinal);
        Assert.Empty(mailbox.Messages);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task RefusedRecipient_IsReported_AndTheOthersReceiveTheMessage() => RunOnReactor(async reactor =>
    {
        PeerProcess.Require(Swaks, "swaks");
        var mailbox = new Mailbox();
        var (port, number) = Listen(reactor, mailbox, new EsmtpServerOptions { HostName = "mx.test" });

        var (code, output) = await RunSwaks(number, "bob@example.org,nobody@example.org");

        Assert.Contains("550 5.1.1", output, StringComparison.Ordinal);
        Assert.True(code == 0, output);
        Assert.Equal(["bob@example.org"], Assert.Single(mailbox.Messages).Envelope.Recipients);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task EveryRecipientRefused_SwaksFailsAtRcpt_AndNothingIsDelivered() => RunOnReactor(async reactor =>
    {
        PeerProcess.Require(Swaks, "swaks");
        var mailbox = new Mailbox();
        var (port, number) = Listen(reactor, mailbox, new EsmtpServerOptions { HostName = "mx.test" });

        var (code, output) = await RunSwaks(number, "nobody@example.org");

        // swaks exits 24 when no recipient is accepted.
        Assert.True(code == 24, output);
        Assert.Contains("550 5.1.1", output, StringComparison.Ordinal);
        Assert.Empty(mailbox.Messages);
        await port.StopListening();
        return true;
    });
}
