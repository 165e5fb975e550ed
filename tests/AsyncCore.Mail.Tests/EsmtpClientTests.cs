using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Tasks;
using AsyncCore.Testing;
using MimeKit;

namespace AsyncCore.Mail.Tests;

public sealed class EsmtpClientTests : ReactorTestBase
{
    internal static MimeMessage NewMessage(string body = "Hello.\r\n")
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.org"));
        message.Bcc.Add(new MailboxAddress("Secret", "secret@example.org"));
        message.Subject = "Grüße";
        message.Body = new TextPart("plain") { Text = body };
        return message;
    }

    private readonly List<EsmtpClient> _connected = [];

    private (EsmtpClient Client, StringTransport Transport) Connect(params string[] recipients) =>
        Connect(new EsmtpClient(Clock, "ada@example.org", recipients, NewMessage(), new SendMailOptions { HeloName = "me.test" }));

    private (EsmtpClient Client, StringTransport Transport) Connect(EsmtpClient client)
    {
        var transport = new StringTransport();
        client.MakeConnection(transport);
        _connected.Add(client);
        return (client, transport);
    }

    /// <summary>A StringTransport never reports the close: end each connection as the reactor would (stops the reply timers).</summary>
    public override ValueTask DisposeAsync()
    {
        foreach (var client in _connected)
        {
            var settled = client.Completion.Called;
            client.ConnectionLost(new Failure(new ConnectionDoneException()));
            if (!settled)
            {
                // A transaction the test left unfinished fails here, by this close: not a failure the test lost.
                client.Completion.AddBoth(_ => true);
            }
        }
        return base.DisposeAsync();
    }

    private static string Take(StringTransport transport)
    {
        var text = Encoding.UTF8.GetString(transport.Value());
        transport.Clear();
        return text;
    }

    [Fact]
    public void Ehlo_Refused_FallsBackToHeloAndSendsWithoutPipelining()
    {
        var (client, transport) = Connect("bob@example.org");
        client.DataReceived("220 mx ready\r\n"u8);
        Assert.Equal("EHLO me.test\r\n", Take(transport));
        client.DataReceived("500 what?\r\n"u8);
        Assert.Equal("HELO me.test\r\n", Take(transport));
        client.DataReceived("250 mx\r\n"u8);
        Assert.Equal("MAIL FROM:<ada@example.org>\r\n", Take(transport));
        client.DataReceived("250 ok\r\n"u8);
        Assert.Equal("RCPT TO:<bob@example.org>\r\n", Take(transport));
        client.DataReceived("250 ok\r\n"u8);
        Assert.Equal("DATA\r\n", Take(transport));
        client.DataReceived("354 go\r\n"u8);
        var data = Take(transport);
        Assert.EndsWith("\r\nHello.\r\n.\r\n", data);
        Assert.DoesNotContain("Bcc", data, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Subject: =?", data, StringComparison.Ordinal);
        DeferredAssert.AssertNoResult(client.Completion);
        client.DataReceived("250 queued\r\n"u8);
        Assert.Equal("QUIT\r\n", Take(transport));
        var result = DeferredAssert.SuccessResultOf(client.Completion);
        Assert.Equal(250, result.Reply.Code);
        Assert.Equal("bob@example.org", Assert.Single(result.Accepted).Address);
        Assert.Same(SmtpExtensions.None, client.Extensions);
        client.DataReceived("221 bye\r\n"u8);
        Assert.True(transport.Disconnecting);
    }

    [Fact]
    public void Ehlo_MultiLineReply_ExtensionsParsedAndPipelined()
    {
        var (client, transport) = Connect("bob@example.org", "nobody@example.org");
        client.DataReceived("220-mx\r\n220 ready\r\n"u8);
        Take(transport);
        client.DataReceived("250-mx greets\r\n250-PIPELINING\r\n250-SIZE 100000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-STARTTLS\r\n250 AUTH plain LOGIN\r\n"u8);
        Assert.True(client.Extensions.Pipelining);
        Assert.True(client.Extensions.StartTls);
        Assert.True(client.Extensions.SmtpUtf8);
        Assert.Equal(100000, client.Extensions.MaxSize);
        Assert.Equal(["PLAIN", "LOGIN"], client.Extensions.AuthMechanisms);
        var group = Take(transport);
        Assert.Matches(@"^MAIL FROM:<ada@example\.org> SIZE=\d+ BODY=8BITMIME\r\nRCPT TO:<bob@example\.org>\r\nRCPT TO:<nobody@example\.org>\r\nDATA\r\n$", group);
        client.DataReceived("250 ok\r\n250 ok\r\n550 5.1.1 unknown\r\n354 go\r\n"u8);
        Assert.EndsWith(".\r\n", Take(transport));
        client.DataReceived("250 ok\r\n"u8);
        var result = DeferredAssert.SuccessResultOf(client.Completion);
        Assert.Equal(["bob@example.org"], result.Accepted.Select(r => r.Address));
        var refused = Assert.Single(result.Refused);
        Assert.Equal(("nobody@example.org", 550), (refused.Address, refused.Reply.Code));
    }

    [Fact]
    public void ReusedConnection_NextMessagePipelinedBehindTheFinalDot_RsetOnlyAfterOneThatStoppedBeforeItsData()
    {
        var client = new EsmtpClient(Clock, new SendMailOptions { HeloName = "me.test" });
        var (_, transport) = Connect(client);
        client.DataReceived("220 mx\r\n"u8);
        client.DataReceived("250-mx\r\n250 PIPELINING\r\n"u8);
        Take(transport);
        var first = client.Send("ada@example.org", ["bob@example.org"], NewMessage());
        var second = client.Send("ada@example.org", ["nobody@example.org"], NewMessage());
        var third = client.Send("ada@example.org", ["carl@example.org"], NewMessage());
        var fourth = client.Send("ada@example.org", ["dan@example.org"], NewMessage());
        Assert.Equal("MAIL FROM:<ada@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n", Take(transport));
        client.DataReceived("250 ok\r\n250 ok\r\n354 go\r\n"u8);
        // The first message and its ".", then the second's MAIL, RCPT and DATA in the same write: no RSET, no waiting
        // for the answer to the "." (RFC 2920).
        Assert.EndsWith("\r\n.\r\nMAIL FROM:<ada@example.org>\r\nRCPT TO:<nobody@example.org>\r\nDATA\r\n", Take(transport), StringComparison.Ordinal);
        Assert.Equal(4, client.Pending);
        client.DataReceived("250 queued\r\n"u8);
        DeferredAssert.SuccessResultOf(first);
        Assert.Equal("", Take(transport));
        client.DataReceived("250 ok\r\n550 no such user\r\n554 no valid recipients\r\n"u8);
        DeferredAssert.FailureResultOf(second, typeof(SmtpException));
        // The second stopped after MAIL: the server may still hold its sender, so RSET first.
        Assert.Equal("RSET\r\n", Take(transport));
        client.DataReceived("250 reset\r\n"u8);
        Assert.Equal("MAIL FROM:<ada@example.org>\r\nRCPT TO:<carl@example.org>\r\nDATA\r\n", Take(transport));
        client.DataReceived("250 ok\r\n250 ok\r\n354 go\r\n"u8);
        Assert.EndsWith("\r\n.\r\nMAIL FROM:<ada@example.org>\r\nRCPT TO:<dan@example.org>\r\nDATA\r\n", Take(transport), StringComparison.Ordinal);
        // A refused message (5xx to its ".") fails alone; the one pipelined behind it goes on.
        client.DataReceived("554 5.7.1 rejected\r\n250 ok\r\n250 ok\r\n354 go\r\n"u8);
        var refused = DeferredAssert.FailureResultOf(third, typeof(SmtpException)).Value;
        Assert.Equal(554, ((SmtpException)refused).Reply!.Code);
        // Nothing queued behind the fourth: its "." ends the write.
        Assert.EndsWith("\r\n.\r\n", Take(transport), StringComparison.Ordinal);
        client.DataReceived("250 queued\r\n"u8);
        DeferredAssert.SuccessResultOf(fourth);
        client.Quit();
        Assert.Equal("QUIT\r\n", Take(transport));
    }

    [Fact]
    public void ConnectionLost_WithAMessagePipelinedBehindAnother_FailsBoth()
    {
        var client = new EsmtpClient(Clock, new SendMailOptions { HeloName = "me.test" });
        var (_, transport) = Connect(client);
        client.DataReceived("220 mx\r\n250-mx\r\n250 PIPELINING\r\n"u8);
        var first = client.Send("ada@example.org", ["bob@example.org"], NewMessage());
        var second = client.Send("ada@example.org", ["carl@example.org"], NewMessage());
        client.DataReceived("250 ok\r\n250 ok\r\n354 go\r\n"u8);
        Assert.EndsWith("DATA\r\n", Take(transport), StringComparison.Ordinal);
        // The first's "." was written but not answered: it is not reported as sent.
        client.ConnectionLost(new Failure(new ConnectionLostException()));
        DeferredAssert.FailureResultOf(first, typeof(SmtpException));
        DeferredAssert.FailureResultOf(second, typeof(SmtpException));
        Assert.Equal(0, client.Pending);
    }

    [Fact]
    public void EveryRecipientRefused_FailsAndSendsNoMessage()
    {
        var (client, transport) = Connect("nobody@example.org");
        client.DataReceived("220 mx\r\n250-mx\r\n250 PIPELINING\r\n"u8);
        Take(transport);
        client.DataReceived("250 ok\r\n550 no\r\n554 no valid recipients\r\n"u8);
        var failure = DeferredAssert.FailureResultOf(client.Completion, typeof(SmtpException));
        var error = (SmtpException)failure.Value;
        Assert.Equal(550, Assert.Single(error.Recipients).Reply.Code);
        Assert.Equal("QUIT\r\n", Take(transport));
    }

    [Fact]
    public void SenderRefused_WithoutPipelining_FailsWithTheReply()
    {
        var (client, transport) = Connect("bob@example.org");
        client.DataReceived("220 mx\r\n250 mx\r\n"u8);
        Take(transport);
        client.DataReceived("553 5.7.1 not you\r\n"u8);
        var error = (SmtpException)DeferredAssert.FailureResultOf(client.Completion, typeof(SmtpException)).Value;
        Assert.Equal(553, error.Reply!.Code);
        Assert.False(error.IsTransient);
        Assert.Equal("QUIT\r\n", Take(transport));
    }

    [Theory]
    [InlineData("hello\r\n")]
    [InlineData("22\r\n")]
    [InlineData("220x\r\n")]
    [InlineData("999 nope\r\n")]
    [InlineData("220-a\r\n250 b\r\n")]
    public void MalformedReply_FailsAndAborts(string reply)
    {
        var (client, transport) = Connect("bob@example.org");
        client.DataReceived(Encoding.ASCII.GetBytes(reply));
        var error = DeferredAssert.FailureResultOf(client.Completion, typeof(SmtpException)).Value;
        Assert.StartsWith("The SMTP server sent", error.Message, StringComparison.Ordinal);
        Assert.True(transport.Disconnected || transport.Disconnecting);
    }

    [Fact]
    public void OverLongReplyLine_Fails()
    {
        var (client, _) = Connect(new EsmtpClient(Clock, "a@x", ["b@y"], NewMessage(), new SendMailOptions { MaxReplyLineLength = 100 }));
        client.DataReceived(Encoding.ASCII.GetBytes("220 " + new string('x', 300)));
        DeferredAssert.FailureResultOf(client.Completion, typeof(SmtpException));
    }

    [Fact]
    public void SilentServer_TimesOut()
    {
        var (client, transport) = Connect("bob@example.org");
        Clock.Advance(TimeSpan.FromMinutes(5));
        DeferredAssert.FailureResultOf(client.Completion, typeof(TimeoutException));
        Assert.True(transport.Disconnected || transport.Disconnecting);
    }

    [Fact]
    public void ConnectionLostMidData_FailsAndNothingIsReportedAsSent()
    {
        var (client, _) = Connect("bob@example.org");
        client.DataReceived("220 mx\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"u8);
        client.ConnectionLost(new Failure(new ConnectionLostException()));
        var error = DeferredAssert.FailureResultOf(client.Completion, typeof(SmtpException)).Value;
        Assert.IsType<ConnectionLostException>(error.InnerException);
    }

    [Fact]
    public void MessageOverTheServersSize_FailsBeforeMail()
    {
        var (client, transport) = Connect("bob@example.org");
        client.DataReceived("220 mx\r\n250-mx\r\n250 SIZE 10\r\n"u8);
        DeferredAssert.FailureResultOf(client.Completion, typeof(SmtpException));
        Assert.Equal("EHLO me.test\r\nQUIT\r\n", Take(transport));
    }

    [Fact]
    public void NonAsciiAddress_WithoutSmtpUtf8_Fails()
    {
        var (client, _) = Connect(new EsmtpClient(Clock, "a@x", ["bö@y"], NewMessage()));
        client.DataReceived("220 mx\r\n250 mx\r\n"u8);
        DeferredAssert.FailureResultOf(client.Completion, typeof(SmtpException));
    }

    [Fact]
    public void ClientAndServer_OverLoopback_DotStuffingRoundTrips()
    {
        var mailbox = new Mailbox();
        const string body = ".starts with a dot\r\n..two\r\n.\r\nlast line without newline";
        var client = new EsmtpClient(Clock, "ada@example.org", ["bob@example.org", "nobody@example.org", "carl@example.org"], NewMessage(body));
        var pump = Loopback.Connect(new EsmtpServer(Clock, mailbox), client, Clock);
        pump.Flush();
        var result = DeferredAssert.SuccessResultOf(client.Completion);
        Assert.Equal(["bob@example.org", "carl@example.org"], result.Accepted.Select(r => r.Address));
        Assert.Equal(["nobody@example.org"], result.Refused.Select(r => r.Address));
        var (envelope, data) = Assert.Single(mailbox.Messages);
        Assert.Contains("\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nlast line without newline\r\n", Encoding.UTF8.GetString(data), StringComparison.Ordinal);
        Assert.Equal(["bob@example.org", "carl@example.org"], envelope.Recipients);
        Assert.True(envelope.EightBitMime);
        var received = MimeMessage.Load(new MemoryStream(data), TestContext.Current.CancellationToken);
        Assert.Equal("Grüße", received.Subject);
        Assert.Empty(received.Bcc);
        Assert.Equal(body.Replace("last line without newline", "last line without newline\r\n", StringComparison.Ordinal), Assert.IsType<TextPart>(received.Body).Text.ReplaceLineEndings("\r\n"));
        Assert.True(pump.WhenDisconnected.Called);
    }

    private (EsmtpClient Client, StringTransport Transport) ConnectWithCredentials(bool allowWithoutTls = true) =>
        Connect(new EsmtpClient(Clock, "ada@example.org", ["bob@example.org"], NewMessage(), new SendMailOptions
        {
            HeloName = "me.test",
            Credentials = new System.Net.NetworkCredential("ada", "sésame"),
            AllowAuthenticationWithoutTls = allowWithoutTls,
        }));

    [Fact]
    public void AuthPlain_SendsTheCredentialsThenMail()
    {
        var (client, transport) = ConnectWithCredentials();
        client.DataReceived("220 mx\r\n250-mx\r\n250 AUTH LOGIN PLAIN\r\n"u8);
        var expected = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0ada\0sésame"));
        Assert.Equal("EHLO me.test\r\nAUTH PLAIN " + expected + "\r\n", Take(transport));
        client.DataReceived("235 2.7.0 ok\r\n"u8);
        Assert.Equal("MAIL FROM:<ada@example.org>\r\n", Take(transport));
    }

    [Fact]
    public void AuthLogin_AnswersBothChallenges()
    {
        var (client, transport) = ConnectWithCredentials();
        client.DataReceived("220 mx\r\n250-mx\r\n250 AUTH=LOGIN\r\n"u8);
        Assert.Equal("EHLO me.test\r\nAUTH LOGIN\r\n", Take(transport));
        client.DataReceived("334 VXNlcm5hbWU6\r\n"u8);
        Assert.Equal(Convert.ToBase64String("ada"u8) + "\r\n", Take(transport));
        client.DataReceived("334 UGFzc3dvcmQ6\r\n"u8);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("sésame")) + "\r\n", Take(transport));
        client.DataReceived("235 ok\r\n"u8);
        Assert.Equal("MAIL FROM:<ada@example.org>\r\n", Take(transport));
    }

    [Fact]
    public void AuthRefused_FailsWithTheReply()
    {
        var (client, transport) = ConnectWithCredentials();
        client.DataReceived("220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n535 5.7.8 bad credentials\r\n"u8);
        var error = (SmtpException)DeferredAssert.FailureResultOf(client.Completion, typeof(SmtpException)).Value;
        Assert.Equal(535, error.Reply!.Code);
        Assert.EndsWith("QUIT\r\n", Take(transport));
    }

    [Theory]
    [InlineData("250 mx\r\n")]
    [InlineData("250-mx\r\n250 AUTH GSSAPI XOAUTH2\r\n")]
    public void AuthRequired_NotOffered_Fails(string ehloReply)
    {
        var (client, _) = ConnectWithCredentials();
        client.DataReceived(Encoding.ASCII.GetBytes("220 mx\r\n" + ehloReply));
        DeferredAssert.FailureResultOf(client.Completion, typeof(SmtpException));
    }

    [Fact]
    public void Credentials_OverAPlainConnection_AreNotSentByDefault()
    {
        var (client, transport) = ConnectWithCredentials(allowWithoutTls: false);
        client.DataReceived("220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n"u8);
        var error = DeferredAssert.FailureResultOf(client.Completion, typeof(SmtpException)).Value;
        Assert.Contains("without TLS", error.Message, StringComparison.Ordinal);
        Assert.Equal("EHLO me.test\r\nQUIT\r\n", Take(transport));
    }

    [Fact]
    public void RandomReplies_NeverThrowAndSettleOrWait()
    {
        var seed = Random.Shared.Next();
        TestContext.Current.SendDiagnosticMessage($"reply fuzz seed {seed}");
        var random = new Random(seed);
        string[] pieces = ["220 ok\r\n", "250 ok\r\n", "250-PIPELINING\r\n", "250-SIZE 5\r\n", "354 go\r\n", "550 no\r\n", "421 bye\r\n", "334 x\r\n", "2", "5", "-", " ", "\r\n", "\r", "\n", "x"];
        var budget = System.Diagnostics.Stopwatch.StartNew();
        while (budget.Elapsed < TimeSpan.FromSeconds(1))
        {
            var (client, transport) = Connect("bob@example.org", "carl@example.org");
            for (var i = random.Next(1, 30); i > 0 && !transport.Disconnecting; i--)
            {
                client.DataReceived(Encoding.ASCII.GetBytes(pieces[random.Next(pieces.Length)]));
            }
            // A connection the client gave up on has settled the transaction.
            Assert.True(!transport.Disconnecting || client.Completion.Called);
            if (client.Completion.Called)
            {
                // Read the result, so that no failure is left unhandled.
                client.Completion.AddBoth(_ => true);
            }
        }
    }

    [Fact]
    public void TwentyMegabyteMessage_OverLoopback_ArrivesWhole()
    {
        var line = new string('x', 70) + "\r\n";
        var body = new StringBuilder(21 * 1024 * 1024);
        for (var i = 0; body.Length < 20 * 1024 * 1024; i++)
        {
            body.Append(i % 1000 == 0 ? "." : "").Append(line);
        }
        var mailbox = new Mailbox();
        var server = new EsmtpServer(Clock, mailbox, new EsmtpServerOptions { MaxMessageSize = 32 * 1024 * 1024 });
        var client = new EsmtpClient(Clock, "ada@example.org", ["bob@example.org"], NewMessage(body.ToString()));
        var pump = Loopback.Connect(server, client, Clock);
        pump.Flush();
        DeferredAssert.SuccessResultOf(client.Completion);
        var (envelope, data) = Assert.Single(mailbox.Messages);
        Assert.Equal(data.Length, envelope.DeclaredSize);
        Assert.True(data.Length > 20 * 1024 * 1024);
        var received = MimeMessage.Load(new MemoryStream(data), TestContext.Current.CancellationToken);
        Assert.Equal(body.ToString(), Assert.IsType<TextPart>(received.Body).Text.ReplaceLineEndings("\r\n"));
        Assert.True(pump.WhenDisconnected.Called);
    }
}
