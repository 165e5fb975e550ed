using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Testing;
using MimeKit;

namespace AsyncCore.Mail.Tests;

/// <summary>
/// The DATA section streamed both ways: the client writes a large message under the transport's backpressure (never
/// the whole message in its buffer), and the server hands it to the delivery as it arrives.
/// </summary>
public sealed class DataStreamingTests : ReactorTestBase
{
    /// <summary>A delivery that receives each message as it arrives: counts the chunks and keeps the bytes.</summary>
    private sealed class StreamingMailbox : IMailDelivery
    {
        public MemoryStream Data { get; } = new();

        public int Chunks { get; private set; }

        public int LargestChunk { get; private set; }

        public bool Ended { get; private set; }

        public Exception? Aborted { get; private set; }

        public Deferred<SmtpReply> ValidateSender(MailEnvelope envelope, string sender) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> ValidateRecipient(MailEnvelope envelope, string recipient) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> Deliver(MailEnvelope envelope, Stream message) =>
            throw new InvalidOperationException("ReceiveMessage is overridden: Deliver is never called");

        public IMailMessageReceiver ReceiveMessage(MailEnvelope envelope) => new Receiver(this);

        private sealed class Receiver(StreamingMailbox mailbox) : IMailMessageReceiver
        {
            public void DataReceived(ReadOnlySpan<byte> data)
            {
                mailbox.Chunks++;
                mailbox.LargestChunk = Math.Max(mailbox.LargestChunk, data.Length);
                mailbox.Data.Write(data);
            }

            public Deferred<SmtpReply> EndOfMessage()
            {
                mailbox.Ended = true;
                return Deferred.Succeed(new SmtpReply(250, "2.0.0 Queued"));
            }

            public void Abort(Exception reason) => mailbox.Aborted = reason;
        }
    }

    internal static string LargeBody(int megabytes)
    {
        var line = new string('x', 70) + "\r\n";
        var body = new StringBuilder(megabytes * 1024 * 1024 + 1024);
        for (var i = 0; body.Length < megabytes * 1024 * 1024; i++)
        {
            // Lines that start with a dot, and one that is only a dot: dot-stuffing across chunk boundaries.
            body.Append(i % 1000 == 0 ? "." : "").Append(i % 5001 == 0 ? ".\r\n" : line);
        }
        return body.Append("the last line has no line end").ToString();
    }

    [Fact]
    public void TwentyMegabytes_WrittenUnderBackpressure_BufferStaysBoundedAndBytesArriveIntact()
    {
        var body = LargeBody(20);
        var mailbox = new StreamingMailbox();
        var server = new EsmtpServer(Clock, mailbox, new EsmtpServerOptions { MaxMessageSize = 32 * 1024 * 1024 });
        var client = new EsmtpClient(Clock, "ada@example.org", ["bob@example.org"], EsmtpClientTests.NewMessage(body));
        var pump = Loopback.Connect(server, client, Clock);
        long mostBuffered = 0;
        var passes = 0;
        while (!client.Completion.Called && passes++ < 100_000)
        {
            pump.Pump();
            // What the client wrote in that pass, not yet read by the server: the reading side is paused between passes.
            mostBuffered = Math.Max(mostBuffered, pump.ClientTransport.BufferedBytes);
            if (passes == 50)
            {
                // The server stops reading for a while: the client writes nothing more meanwhile.
                var before = pump.ClientTransport.BufferedBytes;
                Clock.Advance(TimeSpan.FromSeconds(1));
                Assert.Equal(before, pump.ClientTransport.BufferedBytes);
            }
        }
        pump.Flush();

        var result = DeferredAssert.SuccessResultOf(client.Completion);
        Assert.Equal(250, result.Reply.Code);
        // The transport's high-water mark (64 KiB) plus a MimeKit chunk: never the 20 MB message.
        Assert.InRange(mostBuffered, 1, 256 * 1024);
        // The server handed the message over as it arrived, in pieces no larger than what the client had buffered.
        Assert.True(mailbox.Ended);
        Assert.Null(mailbox.Aborted);
        Assert.True(mailbox.Chunks > 100, $"{mailbox.Chunks} chunks");
        Assert.InRange(mailbox.LargestChunk, 1, 256 * 1024);
        var data = mailbox.Data.ToArray();
        Assert.True(data.Length > 20 * 1024 * 1024);
        var received = MimeMessage.Load(new MemoryStream(data), TestContext.Current.CancellationToken);
        Assert.Equal(body + "\r\n", Assert.IsType<TextPart>(received.Body).Text.ReplaceLineEndings("\r\n"));
        Assert.True(pump.WhenDisconnected.Called);
    }

    [Fact]
    public void ConnectionLostWhileStreaming_FailsTheSend_AndTheServerDropsTheMessage()
    {
        var mailbox = new StreamingMailbox();
        var server = new EsmtpServer(Clock, mailbox, new EsmtpServerOptions { MaxMessageSize = 32 * 1024 * 1024 });
        var client = new EsmtpClient(Clock, "ada@example.org", ["bob@example.org"], EsmtpClientTests.NewMessage(LargeBody(4)));
        var pump = Loopback.Connect(server, client, Clock);
        while (mailbox.Chunks < 5)
        {
            Assert.True(pump.Pump());
        }
        pump.ServerTransport.AbortConnection();
        pump.Flush();

        var error = DeferredAssert.FailureResultOf(client.Completion, typeof(SmtpException)).Value;
        Assert.Contains("lost", error.Message, StringComparison.Ordinal);
        Assert.False(mailbox.Ended);
        Assert.IsType<SmtpException>(mailbox.Aborted);
    }

    [Fact]
    public void Server_HandsTheFirstBytesToTheDelivery_BeforeTheMessageEnds()
    {
        var mailbox = new StreamingMailbox();
        var server = new EsmtpServer(Clock, mailbox, new EsmtpServerOptions { HostName = "mx.test" });
        var transport = new StringTransport();
        server.MakeConnection(transport);
        server.DataReceived("EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"u8);
        server.DataReceived("Subject: hi\r\n\r\n..first line\r\n"u8);

        Assert.Equal("Subject: hi\r\n\r\n.first line\r\n", Encoding.ASCII.GetString(mailbox.Data.ToArray()));
        Assert.False(mailbox.Ended);
        server.DataReceived("second line\r\n.\r\n"u8);
        Assert.True(mailbox.Ended);
        Assert.EndsWith("354 Start mail input; end with <CRLF>.<CRLF>\r\n250 2.0.0 Queued\r\n", Encoding.ASCII.GetString(transport.Value()), StringComparison.Ordinal);
        server.ConnectionLost(new Failure(new ConnectionDoneException()));
    }

    [Fact]
    public void Server_MessageOverTheLimit_AbortsTheReceiver_Replies552_AndGoesOn()
    {
        var mailbox = new StreamingMailbox();
        var server = new EsmtpServer(Clock, mailbox, new EsmtpServerOptions { HostName = "mx.test", MaxMessageSize = 100 });
        var transport = new StringTransport();
        server.MakeConnection(transport);
        server.DataReceived("EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"u8);
        server.DataReceived(Encoding.ASCII.GetBytes(new string('x', 80) + "\r\n"));
        Assert.Null(mailbox.Aborted);
        server.DataReceived(Encoding.ASCII.GetBytes(new string('y', 80) + "\r\n.\r\nNOOP\r\n"));

        Assert.IsType<SmtpException>(mailbox.Aborted);
        Assert.False(mailbox.Ended);
        Assert.EndsWith("552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.0.0 OK\r\n", Encoding.ASCII.GetString(transport.Value()), StringComparison.Ordinal);
        server.ConnectionLost(new Failure(new ConnectionDoneException()));
    }

    [Fact]
    public void Server_ConnectionLostMidData_AbortsTheReceiver()
    {
        var mailbox = new StreamingMailbox();
        var server = new EsmtpServer(Clock, mailbox, new EsmtpServerOptions { HostName = "mx.test" });
        server.MakeConnection(new StringTransport());
        server.DataReceived("EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\npart of it\r\n"u8);
        server.ConnectionLost(new Failure(new ConnectionLostException()));

        Assert.False(mailbox.Ended);
        Assert.IsType<ConnectionLostException>(Assert.IsType<SmtpException>(mailbox.Aborted).InnerException);
    }

    /// <summary>Content whose asynchronous reads finish on a pool thread, as a file's may.</summary>
    private sealed class PoolThreadStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public int ReadsResumedOffThread;

        public int ReactorThread;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            if (Environment.CurrentManagedThreadId != ReactorThread)
            {
                Interlocked.Increment(ref ReadsResumedOffThread);
            }
            return Read(buffer.Span);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    [Fact]
    public Task ContentReadOnAPoolThread_IsWrittenFromTheReactorThread_AndArrivesIntact() => RunOnReactor(async reactor =>
    {
        var mailbox = new StreamingMailbox();
        var port = reactor.ListenTcp(0, new EsmtpServerFactory(reactor, mailbox, new EsmtpServerOptions { HostName = "mx.test" }), interfaceAddress: "127.0.0.1");
        var payload = new byte[300 * 1024];
        new Random(12).NextBytes(payload);
        var content = new PoolThreadStream(payload) { ReactorThread = Environment.CurrentManagedThreadId };
        var message = EsmtpClientTests.NewMessage("See the attachment.\r\n");
        var body = new Multipart("mixed")
        {
            new TextPart("plain") { Text = "See the attachment.\r\n" },
            new MimePart("application", "octet-stream")
            {
                Content = new MimeContent(content),
                ContentTransferEncoding = ContentEncoding.Base64,
                FileName = "data.bin",
            },
        };
        message.Body = body;

        var result = await Mail.SendMail(reactor, "tcp:127.0.0.1:" + ((System.Net.IPEndPoint)port.GetHost()).Port, "ada@example.org", ["bob@example.org"], message);

        Assert.Equal(250, result.Reply.Code);
        // MimeKit was resumed off the reactor thread, so its writes were carried over to the reactor, and every byte
        // arrived in order.
        Assert.True(content.ReadsResumedOffThread > 0);
        var received = MimeMessage.Load(new MemoryStream(mailbox.Data.ToArray()), TestContext.Current.CancellationToken);
        var attachment = Assert.Single(received.Attachments.OfType<MimePart>());
        using var decoded = new MemoryStream();
        attachment.Content!.DecodeTo(decoded, TestContext.Current.CancellationToken);
        Assert.Equal(payload, decoded.ToArray());
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public void DotStuffing_SplitAnywhere_MatchesStuffingInOnePiece(int piece)
    {
        var text = ".a\r\n..b\r\nc.d\r\n.\r\n\r\n.\r\r\n.e\n.f\r\n." + new string('g', 5000) + "\r\n.h";
        var input = Encoding.ASCII.GetBytes(text);
        var expected = Encoding.ASCII.GetBytes(
            "..a\r\n...b\r\nc.d\r\n..\r\n\r\n..\r\r\n..e\n.f\r\n.." + new string('g', 5000) + "\r\n..h\r\n.\r\n");
        var transport = new StringTransport();
        var stream = new DotStuffingStream(transport);
        for (var i = 0; i < input.Length; i += piece)
        {
            stream.Write(input.AsSpan(i, Math.Min(piece, input.Length - i)));
        }
        stream.Finish();
        Assert.Equal(Encoding.ASCII.GetString(expected), Encoding.ASCII.GetString(transport.Value()));
    }
}
