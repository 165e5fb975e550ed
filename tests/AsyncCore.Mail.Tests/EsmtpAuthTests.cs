using System.Net;
using System.Security.Cryptography;
using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Tasks;
using AsyncCore.Testing;

namespace AsyncCore.Mail.Tests;

/// <summary>AUTH and the transport-security options, on a StringTransport: the exact exchanges on both sides.</summary>
public sealed class EsmtpAuthTests
{
    private readonly Clock _clock = new();

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Take(StringTransport transport)
    {
        var text = Encoding.UTF8.GetString(transport.Value());
        transport.Clear();
        return text;
    }

    private (EsmtpClient Client, StringTransport Transport) Client(SendMailOptions options)
    {
        options.HeloName = "me.test";
        var client = new EsmtpClient(_clock, "ada@example.org", ["bob@example.org"], EsmtpClientTests.NewMessage(), options);
        var transport = new StringTransport();
        client.MakeConnection(transport);
        client.DataReceived("220 mx ready\r\n"u8);
        Assert.Equal("EHLO me.test\r\n", Take(transport));
        return (client, transport);
    }

    private static SmtpException Failed(EsmtpClient client) =>
        Assert.IsType<SmtpException>(DeferredAssert.FailureResultOf(client.Completion, typeof(SmtpException)).Value);

    private static void Lose(EsmtpClient client) => client.ConnectionLost(new Failure(new ConnectionDoneException()));

    [Fact]
    public void Client_RequireTransportSecurity_ServerWithoutStartTls_FailsBeforeSendingAnything()
    {
        var (client, transport) = Client(new SendMailOptions { RequireTransportSecurity = true, StartTls = TestCertificate.Client });
        client.DataReceived("250-mx\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n"u8);
        Assert.Equal("QUIT\r\n", Take(transport));
        var error = Failed(client);
        Assert.Contains("does not offer STARTTLS", error.Message, StringComparison.Ordinal);
        Lose(client);
    }

    [Fact]
    public void Client_RequireTransportSecurity_ServerRefusesEhlo_FailsInsteadOfHelo()
    {
        var (client, transport) = Client(new SendMailOptions { RequireTransportSecurity = true, StartTls = TestCertificate.Client });
        client.DataReceived("500 no ESMTP\r\n"u8);
        Assert.Equal("HELO me.test\r\n", Take(transport));
        client.DataReceived("250 mx\r\n"u8);
        Assert.Equal("QUIT\r\n", Take(transport));
        Failed(client);
        Lose(client);
    }

    [Fact]
    public void Client_StartTlsOffered_SendsStartTlsAndFailsWhenTheTransportCannotUpgrade()
    {
        var (client, transport) = Client(new SendMailOptions { StartTls = TestCertificate.Client });
        client.DataReceived("250-mx\r\n250 STARTTLS\r\n"u8);
        Assert.Equal("STARTTLS\r\n", Take(transport));
        client.DataReceived("220 go ahead\r\n"u8);
        // A StringTransport is not an ITlsTransport.
        Assert.Contains("cannot start TLS", Failed(client).Message, StringComparison.Ordinal);
        Lose(client);
    }

    [Fact]
    public void Client_StartTlsRefused_RequireTransportSecurity_FailsWithTheReply()
    {
        var (client, transport) = Client(new SendMailOptions { StartTls = TestCertificate.Client, RequireTransportSecurity = true });
        client.DataReceived("250-mx\r\n250 STARTTLS\r\n"u8);
        Assert.Equal("STARTTLS\r\n", Take(transport));
        client.DataReceived("454 4.7.0 TLS not available\r\n"u8);
        Assert.Equal(454, Failed(client).Reply?.Code);
        Lose(client);
    }

    [Fact]
    public void Client_CramMd5_AnswersTheChallengeWithTheHmac()
    {
        var (client, transport) = Client(new SendMailOptions { Credentials = new NetworkCredential("tim", "tanstaaftanstaaf"), AllowAuthenticationWithoutTls = true });
        client.DataReceived("250-mx\r\n250 AUTH LOGIN PLAIN CRAM-MD5\r\n"u8);
        Assert.Equal("AUTH CRAM-MD5\r\n", Take(transport));
        // RFC 2195's example: this challenge and password give this digest.
        client.DataReceived(Encoding.ASCII.GetBytes("334 " + B64("<1896.697170952@postoffice.reston.mci.net>") + "\r\n"));
        Assert.Equal(B64("tim b913a602c7eda7a495b4e6e7334d3890") + "\r\n", Take(transport));
        client.DataReceived("235 ok\r\n"u8);
        Assert.StartsWith("MAIL FROM:<ada@example.org>", Take(transport), StringComparison.Ordinal);
        Lose(client);
        Failed(client);
    }

    [Fact]
    public void Client_NoAuthOffered_RequireAuthenticationFalse_SendsWithoutLoggingIn()
    {
        var (client, transport) = Client(new SendMailOptions { Credentials = new NetworkCredential("a", "b"), RequireAuthentication = false });
        client.DataReceived("250 mx\r\n"u8);
        Assert.StartsWith("MAIL FROM:", Take(transport), StringComparison.Ordinal);
        Lose(client);
        Failed(client);
    }

    [Fact]
    public void Client_NoAuthOffered_RequireAuthentication_Fails()
    {
        var (client, transport) = Client(new SendMailOptions { Credentials = new NetworkCredential("a", "b") });
        client.DataReceived("250 mx\r\n"u8);
        Assert.Equal("QUIT\r\n", Take(transport));
        Assert.Contains("does not offer AUTH", Failed(client).Message, StringComparison.Ordinal);
        Lose(client);
    }

    private (EsmtpServer Server, StringTransport Transport, Mailbox Mailbox) Server(EsmtpServerOptions options)
    {
        options.HostName = "mx.test";
        var mailbox = new Mailbox();
        var server = new EsmtpServer(_clock, mailbox, options);
        var transport = new StringTransport();
        server.MakeConnection(transport);
        Take(transport);
        return (server, transport, mailbox);
    }

    private static string Say(EsmtpServer server, StringTransport transport, string text)
    {
        server.DataReceived(Encoding.UTF8.GetBytes(text));
        return Take(transport);
    }

    private static Deferred<bool> AdaOnly(string user, string password) => Deferred.Succeed(user == "ada" && password == "s3cret");

    [Fact]
    public void Server_AuthBeforeTls_IsNotAdvertisedAndGets538()
    {
        var (server, transport, _) = Server(new EsmtpServerOptions { CredentialChecker = AdaOnly, StartTls = TestCertificate.Server });
        var ehlo = Say(server, transport, "EHLO c\r\n");
        Assert.EndsWith("250 STARTTLS\r\n", ehlo, StringComparison.Ordinal);
        Assert.DoesNotContain("AUTH", ehlo, StringComparison.Ordinal);
        Assert.Equal("538 5.7.11 Encryption required for requested authentication mechanism\r\n", Say(server, transport, "AUTH PLAIN " + B64("\0ada\0s3cret") + "\r\n"));
    }

    [Fact]
    public void Server_AuthPlainAndLogin_AcceptGoodAndRefuseBadCredentials()
    {
        var (server, transport, mailbox) = Server(new EsmtpServerOptions { CredentialChecker = AdaOnly, AllowAuthenticationWithoutTls = true, RequireAuthentication = true });
        Assert.Contains("250 AUTH PLAIN LOGIN\r\n", Say(server, transport, "EHLO c\r\n"), StringComparison.Ordinal);
        Assert.Equal("530 5.7.0 Authentication required\r\n", Say(server, transport, "MAIL FROM:<a@x>\r\n"));
        Assert.Equal("535 5.7.8 Authentication credentials invalid\r\n", Say(server, transport, "AUTH PLAIN " + B64("\0ada\0nope") + "\r\n"));
        Assert.Equal("334 VXNlcm5hbWU6\r\n", Say(server, transport, "AUTH LOGIN\r\n"));
        Assert.Equal("501 5.5.2 Cannot decode response\r\n", Say(server, transport, "not base64!\r\n"));
        Assert.Equal("504 5.5.4 Unrecognized authentication type\r\n", Say(server, transport, "AUTH GSSAPI\r\n"));
        Assert.Equal("334 \r\n", Say(server, transport, "AUTH PLAIN\r\n"));
        Assert.Equal("501 5.0.0 Authentication cancelled\r\n", Say(server, transport, "*\r\n"));
        Assert.Equal("334 VXNlcm5hbWU6\r\n", Say(server, transport, "AUTH LOGIN\r\n"));
        Assert.Equal("334 UGFzc3dvcmQ6\r\n", Say(server, transport, B64("ada") + "\r\n"));
        Assert.Equal("235 2.7.0 Authentication successful\r\n", Say(server, transport, B64("s3cret") + "\r\n"));
        Assert.Equal("503 5.5.1 Already authenticated\r\n", Say(server, transport, "AUTH PLAIN " + B64("\0ada\0s3cret") + "\r\n"));
        Assert.Equal("250 2.0.0 OK\r\n250 2.0.0 OK\r\n354 Start mail input; end with <CRLF>.<CRLF>\r\n",
            Say(server, transport, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"));
        Assert.Equal("250 2.0.0 Queued\r\n", Say(server, transport, "Subject: x\r\n\r\nhi\r\n.\r\n"));
        Assert.Equal("ada", Assert.Single(mailbox.Messages).Envelope.AuthenticatedUser);
    }

    [Fact]
    public void Server_RequireTls_RefusesMailInClear_AndStartTlsOnATransportWithoutTlsGets454()
    {
        var (server, transport, _) = Server(new EsmtpServerOptions { StartTls = TestCertificate.Server, RequireTls = true });
        Say(server, transport, "EHLO c\r\n");
        Assert.Equal("530 5.7.0 Must issue a STARTTLS command first\r\n", Say(server, transport, "MAIL FROM:<a@x>\r\n"));
        Assert.Equal("501 5.5.4 Syntax: STARTTLS\r\n", Say(server, transport, "STARTTLS now\r\n"));
        Assert.Equal("454 4.7.0 TLS not available\r\n", Say(server, transport, "STARTTLS\r\n"));
    }

    [Fact]
    public void Server_WithoutTlsOrAuthConfigured_RefusesBoth()
    {
        var (server, transport, _) = Server(new EsmtpServerOptions());
        Say(server, transport, "EHLO c\r\n");
        Assert.Equal("502 5.5.1 STARTTLS not offered\r\n", Say(server, transport, "STARTTLS\r\n"));
        Assert.Equal("502 5.5.1 AUTH not offered\r\n", Say(server, transport, "AUTH PLAIN\r\n"));
    }

    [Fact]
    public void CramMd5Digest_MatchesRfc2195()
    {
#pragma warning disable CA5351 // The RFC's example.
        var digest = HMACMD5.HashData("tanstaaftanstaaf"u8, "<1896.697170952@postoffice.reston.mci.net>"u8);
#pragma warning restore CA5351
        Assert.Equal("b913a602c7eda7a495b4e6e7334d3890", Convert.ToHexStringLower(digest));
    }
}
