using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Tasks;

namespace AsyncCore.Mail.Tests;

public sealed class EsmtpServerTests
{
    private readonly Clock _clock = new();
    private readonly Mailbox _mailbox = new();
    private readonly StringTransport _transport = new();
    private readonly EsmtpServer _server;

    public EsmtpServerTests()
    {
        _server = new EsmtpServer(_clock, _mailbox, new EsmtpServerOptions { HostName = "mx.test", MaxMessageSize = 1000 });
        _server.MakeConnection(_transport);
    }

    private string Take()
    {
        var text = Encoding.UTF8.GetString(_transport.Value());
        _transport.Clear();
        return text;
    }

    private string Say(string text)
    {
        _server.DataReceived(Encoding.UTF8.GetBytes(text));
        return Take();
    }

    [Fact]
    public void Greeting_AndEhlo_AdvertisesExtensionsInAMultiLineReply()
    {
        Assert.Equal("220 mx.test ESMTP AsyncCore\r\n", Take());
        Assert.Equal(
            "250-mx.test greets client.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n",
            Say("EHLO client.test\r\n"));
        Assert.Equal("250 mx.test\r\n", Say("HELO client.test\r\n"));
    }

    [Fact]
    public void FullTransaction_DeliversTheUnstuffedMessage()
    {
        Take();
        var replies = Say("EHLO c\r\nMAIL FROM:<a@x> SIZE=40\r\nRCPT TO:<b@y>\r\nRCPT TO:<nobody@y>\r\nDATA\r\n");
        Assert.Equal(
            "250-mx.test greets c\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n"
            + "250 2.0.0 OK\r\n250 2.0.0 OK\r\n550 5.1.1 No such user\r\n354 Start mail input; end with <CRLF>.<CRLF>\r\n",
            replies);
        Assert.Equal("250 2.0.0 Queued\r\n250 2.0.0 OK\r\n", Say("Subject: x\r\n\r\n..dot\r\n\r\n.\r\nNOOP\r\n"));
        var (envelope, data) = Assert.Single(_mailbox.Messages);
        Assert.Equal("a@x", envelope.Sender);
        Assert.Equal(["b@y"], envelope.Recipients);
        Assert.Equal(40, envelope.DeclaredSize);
        Assert.Equal("Subject: x\r\n\r\n.dot\r\n\r\n", Encoding.ASCII.GetString(data));
    }

    [Fact]
    public void Data_SplitIntoSingleBytes_FindsTheEndAndUnstuffs()
    {
        Take();
        Say("HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
        var replies = new StringBuilder();
        foreach (var b in "..a\r\n.b\r\nc.\r\n.\r\nQUIT\r\n"u8.ToArray())
        {
            replies.Append(Say(Encoding.Latin1.GetString([b])));
        }
        Assert.Equal("250 2.0.0 Queued\r\n221 2.0.0 mx.test closing connection\r\n", replies.ToString());
        Assert.Equal(".a\r\nb\r\nc.\r\n", Encoding.ASCII.GetString(_mailbox.Messages[0].Data));
        Assert.Equal("", _mailbox.Messages[0].Envelope.Sender);
        Assert.True(_transport.Disconnecting);
    }

    [Fact]
    public void OutOfSequence_Gets503AndTheConnectionSurvives()
    {
        Take();
        Assert.Equal("503 5.5.1 Send EHLO or HELO first\r\n", Say("MAIL FROM:<a@x>\r\n"));
        Say("EHLO c\r\n");
        Assert.Equal("503 5.5.1 Need MAIL before RCPT\r\n", Say("RCPT TO:<b@y>\r\n"));
        Assert.Equal("503 5.5.1 Need MAIL before DATA\r\n", Say("DATA\r\n"));
        Assert.Equal("250 2.0.0 OK\r\n", Say("MAIL FROM:<a@x>\r\n"));
        Assert.Equal("503 5.5.1 Sender already given\r\n", Say("MAIL FROM:<a@x>\r\n"));
        Assert.Equal("554 5.5.1 No valid recipients\r\n", Say("DATA\r\n"));
        Assert.Equal("250 2.0.0 OK\r\n", Say("RSET\r\n"));
        Assert.Equal("503 5.5.1 Need MAIL before RCPT\r\n", Say("RCPT TO:<b@y>\r\n"));
        Assert.False(_transport.Disconnecting);
    }

    [Theory]
    [InlineData("MAIL FROM:a@x\r\n", "501 5.5.4 Syntax: MAIL FROM:<address>\r\n")]
    [InlineData("MAIL TO:<a@x>\r\n", "501 5.5.4 Syntax: MAIL FROM:<address>\r\n")]
    [InlineData("MAIL FROM:<a@x\r\n", "501 5.5.4 Syntax: MAIL FROM:<address>\r\n")]
    [InlineData("MAIL FROM:<a@x> FOO=1\r\n", "555 5.5.4 Unsupported parameter FOO=1\r\n")]
    [InlineData("MAIL FROM:<a@x> SIZE=1001\r\n", "552 5.3.4 Message size exceeds fixed maximum message size\r\n")]
    [InlineData("MAIL FROM:<é@x>\r\n", "553 5.6.7 Non-ASCII address without SMTPUTF8\r\n")]
    [InlineData("MAIL FROM:<spammer@x>\r\n", "550 5.7.1 Go away\r\n")]
    [InlineData("BOGUS\r\n", "500 5.5.2 Command unrecognized\r\n")]
    [InlineData("\r\n", "500 5.5.2 Command unrecognized\r\n")]
    [InlineData("EHLO\r\n", "501 5.5.4 Syntax: EHLO domain\r\n")]
    public void MalformedOrRefusedCommand_GetsItsReplyAndTheConnectionSurvives(string command, string expected)
    {
        Take();
        Say("EHLO c\r\n");
        Assert.Equal(expected, Say(command));
        Assert.False(_transport.Disconnecting);
        Assert.Equal("250 2.0.0 OK\r\n", Say("NOOP\r\n"));
    }

    [Fact]
    public void Utf8Address_WithSmtpUtf8_IsDecoded()
    {
        Take();
        Say("EHLO c\r\n");
        Assert.Equal("250 2.0.0 OK\r\n", Say("MAIL FROM:<é@x> SMTPUTF8\r\n"));
        Assert.Equal("é@x", _mailbox.Senders.Last());
    }

    [Fact]
    public void OverLongLine_InOneRead_Gets500AndTheNextCommandIsAnswered()
    {
        Take();
        var server = new EsmtpServer(_clock, _mailbox, new EsmtpServerOptions { HostName = "mx.test", MaxCommandLength = 100 });
        var transport = new StringTransport();
        server.MakeConnection(transport);
        transport.Clear();
        server.DataReceived(Encoding.ASCII.GetBytes("NOOP " + new string('x', 200) + "\r\nNOOP\r\n"));
        Assert.Equal("500 5.5.2 Line too long\r\n", Encoding.ASCII.GetString(transport.Value()));
        _clock.Advance(TimeSpan.Zero);
        Assert.Equal("500 5.5.2 Line too long\r\n250 2.0.0 OK\r\n", Encoding.ASCII.GetString(transport.Value()));
        Assert.False(transport.Disconnecting);
    }

    [Fact]
    public void OverLongLine_AcrossReads_Gets500OnceAndItsRestIsSkipped()
    {
        var server = new EsmtpServer(_clock, _mailbox, new EsmtpServerOptions { HostName = "mx.test", MaxCommandLength = 100 });
        var transport = new StringTransport();
        server.MakeConnection(transport);
        transport.Clear();
        for (var i = 0; i < 10; i++)
        {
            server.DataReceived(Encoding.ASCII.GetBytes(new string('x', 60)));
        }
        server.DataReceived("yyy\r\nNOOP\r\n"u8);
        Assert.Equal("500 5.5.2 Line too long\r\n250 2.0.0 OK\r\n", Encoding.ASCII.GetString(transport.Value()));
        Assert.False(transport.Disconnecting);
    }

    [Fact]
    public void MessageOverTheLimit_Gets552AfterTheDataAndTheConnectionSurvives()
    {
        Take();
        Say("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
        Assert.Equal("", Say(new string('x', 600) + "\r\n"));
        Assert.Equal("", Say(new string('x', 600) + "\r\n"));
        Assert.Equal("552 5.3.4 Message size exceeds fixed maximum message size\r\n", Say(".\r\n"));
        Assert.Empty(_mailbox.Messages);
        Assert.Equal("250 2.0.0 OK\r\n", Say("MAIL FROM:<a@x>\r\n"));
    }

    [Fact]
    public void IdleConnection_Gets421AndIsClosed()
    {
        Take();
        _clock.Advance(TimeSpan.FromMinutes(4));
        Say("NOOP\r\n");
        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.False(_transport.Disconnecting);
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("421 4.4.2 mx.test idle timeout, closing connection\r\n", Take());
        Assert.True(_transport.Disconnecting);
    }

    [Fact]
    public void PipelinedCommands_WithASlowRecipientCheck_AreAnsweredInOrder()
    {
        var pending = new Deferred<SmtpReply>();
        _mailbox.RecipientCheck = r => r == "slow@y" ? pending : Deferred.Succeed(SmtpReply.Ok);
        Take();
        Say("HELO c\r\n");
        Assert.Equal("250 2.0.0 OK\r\n", Say("MAIL FROM:<a@x>\r\nRCPT TO:<slow@y>\r\nRCPT TO:<b@y>\r\nNOOP\r\n"));
        pending.Callback(new SmtpReply(451, "4.3.0 Try later"));
        Assert.Equal("451 4.3.0 Try later\r\n250 2.0.0 OK\r\n250 2.0.0 OK\r\n", Take());
        Assert.Equal("354 Start mail input; end with <CRLF>.<CRLF>\r\n", Say("DATA\r\n"));
        Assert.Equal("250 2.0.0 Queued\r\n", Say("hi\r\n.\r\n"));
        Assert.Equal(["b@y"], _mailbox.Messages[0].Envelope.Recipients);
    }

    [Fact]
    public void DeliveryFailure_Gets451()
    {
        var delivery = new FailingDelivery();
        var server = new EsmtpServer(_clock, delivery, new EsmtpServerOptions { HostName = "mx.test" });
        var transport = new StringTransport();
        server.MakeConnection(transport);
        transport.Clear();
        server.DataReceived("HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nhi\r\n.\r\n"u8);
        Assert.EndsWith("354 Start mail input; end with <CRLF>.<CRLF>\r\n451 4.3.0 Local error in processing\r\n", Encoding.ASCII.GetString(transport.Value()));
    }

    private sealed class FailingDelivery : IMailDelivery
    {
        public Deferred<SmtpReply> ValidateSender(MailEnvelope envelope, string sender) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> ValidateRecipient(MailEnvelope envelope, string recipient) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> Deliver(MailEnvelope envelope, Stream message) =>
            Deferred.Fail<SmtpReply>(new IOException("disk full"));
    }
}
