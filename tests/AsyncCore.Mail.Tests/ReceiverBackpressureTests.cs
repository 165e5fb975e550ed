using System.Net;
using System.Security.Cryptography;
using System.Text;
using AsyncCore.Endpoints;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Testing;
using MimeKit;

namespace AsyncCore.Mail.Tests;

/// <summary>
/// A slow <see cref="IMailMessageReceiver"/> throttles the connection through the handle <see cref="IMailMessageReceiver.Start"/>
/// gives it: the server stops reading while it is paused, passes nothing on meanwhile, and the handle reaches only its
/// own message.
/// </summary>
public sealed class ReceiverBackpressureTests : ReactorTestBase
{
    // A wedged connection would otherwise wait for the default two minutes.
    protected override TimeSpan Timeout => TimeSpan.FromSeconds(60);

    /// <summary>A receiver scripted by the test: keeps the bytes and counts each call.</summary>
    private sealed class Receiver : IMailMessageReceiver
    {
        public IPushProducer? Reading { get; private set; }

        public MemoryStream Data { get; } = new();

        public int Starts { get; private set; }

        public int Chunks { get; private set; }

        public int Ends { get; private set; }

        public int Aborts { get; private set; }

        public Exception? AbortReason { get; private set; }

        /// <summary>What the receiver itself believes: it paused and did not resume yet.</summary>
        public bool Paused { get; set; }

        public long ReceivedWhilePaused { get; private set; }

        public int ChunksAfterEnd { get; private set; }

        public Action<Receiver>? OnStart { get; init; }

        public Action<Receiver, int>? OnData { get; init; }

        public Func<Receiver, Deferred<SmtpReply>>? OnEnd { get; init; }

        public Action<Receiver>? OnAbort { get; init; }

        public void Pause()
        {
            Paused = true;
            Reading!.PauseProducing();
        }

        public void Resume()
        {
            Paused = false;
            Reading!.ResumeProducing();
        }

        public void Start(IPushProducer reading)
        {
            Starts++;
            Reading = reading;
            OnStart?.Invoke(this);
        }

        public void DataReceived(ReadOnlySpan<byte> data)
        {
            Chunks++;
            if (Paused)
            {
                ReceivedWhilePaused += data.Length;
            }
            if (Ends + Aborts > 0)
            {
                ChunksAfterEnd++;
            }
            Data.Write(data);
            OnData?.Invoke(this, data.Length);
        }

        public Deferred<SmtpReply> EndOfMessage()
        {
            Ends++;
            return OnEnd?.Invoke(this) ?? Deferred.Succeed(new SmtpReply(250, "2.0.0 Queued"));
        }

        public void Abort(Exception reason)
        {
            Aborts++;
            AbortReason = reason;
            OnAbort?.Invoke(this);
        }
    }

    /// <summary>Accepts everyone; each message goes to the receiver <c>create</c> makes for it.</summary>
    private sealed class Delivery(Func<int, Receiver> create) : IMailDelivery
    {
        public List<Receiver> Receivers { get; } = [];

        public Action<string>? OnSender { get; set; }

        public Deferred<SmtpReply> ValidateSender(MailEnvelope envelope, string sender)
        {
            OnSender?.Invoke(sender);
            return Deferred.Succeed(SmtpReply.Ok);
        }

        public Deferred<SmtpReply> ValidateRecipient(MailEnvelope envelope, string recipient) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> Deliver(MailEnvelope envelope, Stream message) =>
            throw new InvalidOperationException("ReceiveMessage is overridden: Deliver is never called");

        public IMailMessageReceiver ReceiveMessage(MailEnvelope envelope)
        {
            var receiver = create(Receivers.Count);
            Receivers.Add(receiver);
            return receiver;
        }
    }

    /// <summary>Counts what the server's transport read (each chunk before the server sees it); <see cref="Closed"/> fires when the first connection is gone.</summary>
    private sealed class ReadCounter(Factory inner) : WrappingFactory(inner)
    {
        public long BytesRead { get; private set; }

        public Deferred<bool> Closed { get; } = new();

        protected override ProtocolWrapper WrapProtocol(IProtocol wrapped) => new Counting(this, wrapped);

        public override void UnregisterProtocol(ProtocolWrapper protocol)
        {
            base.UnregisterProtocol(protocol);
            if (!Closed.Called)
            {
                Closed.Callback(true);
            }
        }

        private sealed class Counting(ReadCounter factory, IProtocol wrapped) : ProtocolWrapper(factory, wrapped)
        {
            public override void DataReceived(ReadOnlySpan<byte> data)
            {
                factory.BytesRead += data.Length;
                base.DataReceived(data);
            }
        }
    }

    private static string Listen(AsyncCore.Reactors.EventLoopReactor reactor, Factory factory, out IListeningPort port)
    {
        port = reactor.ListenTcp(0, factory, interfaceAddress: "127.0.0.1");
        return "tcp:127.0.0.1:" + ((IPEndPoint)port.GetHost()).Port;
    }

    /// <summary>The bytes the client sends for <paramref name="message"/> (after it was sent: prepared), dot-unstuffed.</summary>
    private static byte[] AsSent(MimeMessage message)
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.HiddenHeaders.Add(HeaderId.Bcc);
        format.HiddenHeaders.Add(HeaderId.ResentBcc);
        using var bytes = new MemoryStream();
        message.WriteTo(format, bytes, TestContext.Current.CancellationToken);
        if (!bytes.ToArray().AsSpan().EndsWith("\r\n"u8))
        {
            // The client ends the last line before the final dot.
            bytes.Write("\r\n"u8);
        }
        return bytes.ToArray();
    }

    [Fact]
    public Task PausingEvery128KiB_TwentyMegabytesArriveIntact_AndTheServerStopsReadingWhilePaused() => RunOnReactor(async reactor =>
    {
        const int PauseEvery = 128 * 1024;
        long sincePause = 0;
        long readAtPause = 0;
        long mostReadWhilePaused = 0;
        var pauses = 0;
        ReadCounter? reads = null;
        var delivery = new Delivery(_ => new Receiver
        {
            OnData = (receiver, length) =>
            {
                sincePause += length;
                if (sincePause < PauseEvery)
                {
                    return;
                }
                // A slow sink: stop reading, and go on once "the write is done".
                sincePause = 0;
                pauses++;
                receiver.Pause();
                readAtPause = reads!.BytesRead;
                reactor.CallLater(TimeSpan.FromMilliseconds(2), () =>
                {
                    mostReadWhilePaused = Math.Max(mostReadWhilePaused, reads.BytesRead - readAtPause);
                    receiver.Resume();
                });
            },
        });
        reads = new ReadCounter(new EsmtpServerFactory(reactor, delivery, new EsmtpServerOptions { MaxMessageSize = 32 * 1024 * 1024 }));
        var endpoint = Listen(reactor, reads, out var port);
        var message = EsmtpClientTests.NewMessage(DataStreamingTests.LargeBody(20));

        var result = await Mail.SendMail(reactor, endpoint, "ada@example.org", ["bob@example.org"], message);

        Assert.Equal(250, result.Reply.Code);
        var receiver = Assert.Single(delivery.Receivers);
        Assert.Equal((1, 1, 0), (receiver.Starts, receiver.Ends, receiver.Aborts));
        var expected = AsSent(message);
        Assert.True(expected.Length > 20 * 1024 * 1024);
        Assert.Equal(expected.Length, receiver.Data.Length);
        Assert.Equal(SHA256.HashData(expected), SHA256.HashData(receiver.Data.ToArray()));
        Assert.True(pauses > 100, $"{pauses} pauses");
        // Nothing was passed on while the receiver held the reading, even what had been read in the same chunk...
        Assert.Equal(0, receiver.ReceivedWhilePaused);
        // ... and the transport really stopped reading: at most one read (64 KiB) in flight when the pause came.
        Assert.InRange(mostReadWhilePaused, 0, 64 * 1024);
        await reads.Closed;
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    /// <summary>The spool of docs/mail.md: one asynchronous file write at a time, the reading paused meanwhile.</summary>
    private sealed class SpoolFile(string path) : IMailMessageReceiver
    {
        private readonly FileStream _file = File.Open(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Options = FileOptions.Asynchronous,
            BufferSize = 0,
        });
        private IPushProducer? _reading;
        private bool _writing;

        public int Writes { get; private set; }

        public int ChunksWhileWriting { get; private set; }

        public int ResumedOffTheReactorThread { get; private set; }

        public int ReactorThread { get; init; }

        public void Start(IPushProducer reading) => _reading = reading;

        public void DataReceived(ReadOnlySpan<byte> data)
        {
            if (_writing)
            {
                ChunksWhileWriting++;
            }
            _writing = true;
            _reading!.PauseProducing();
            _ = Write(data.ToArray());
        }

        private async Task Write(byte[] chunk)
        {
            Writes++;
            await _file.WriteAsync(chunk);
            if (Environment.CurrentManagedThreadId != ReactorThread)
            {
                ResumedOffTheReactorThread++;
            }
            _writing = false;
            _reading!.ResumeProducing();
        }

        public Deferred<SmtpReply> EndOfMessage()
        {
            _file.Dispose();
            return Deferred.Succeed(new SmtpReply(250, "2.0.0 Spooled"));
        }

        public void Abort(Exception reason) => _file.Dispose();
    }

    private sealed class SpoolDelivery(string path, int reactorThread) : IMailDelivery
    {
        public SpoolFile? Spool { get; private set; }

        public Deferred<SmtpReply> ValidateSender(MailEnvelope envelope, string sender) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> ValidateRecipient(MailEnvelope envelope, string recipient) => Deferred.Succeed(SmtpReply.Ok);

        public Deferred<SmtpReply> Deliver(MailEnvelope envelope, Stream message) => throw new NotSupportedException();

        public IMailMessageReceiver ReceiveMessage(MailEnvelope envelope) => Spool = new SpoolFile(path) { ReactorThread = reactorThread };
    }

    [Fact]
    public Task AsynchronousFileSpool_OneWriteAtATime_TheFileIsTheMessage() => RunOnReactor(async reactor =>
    {
        var path = Path.Combine(Path.GetTempPath(), "asynccore-spool-" + Guid.NewGuid().ToString("N") + ".eml");
        try
        {
            var delivery = new SpoolDelivery(path, Environment.CurrentManagedThreadId);
            var watch = new ConnectionWatch(new EsmtpServerFactory(reactor, delivery, new EsmtpServerOptions { MaxMessageSize = 32 * 1024 * 1024 }));
            var endpoint = Listen(reactor, watch, out var port);
            var message = EsmtpClientTests.NewMessage(DataStreamingTests.LargeBody(4));

            var result = await Mail.SendMail(reactor, endpoint, "ada@example.org", ["bob@example.org"], message);

            Assert.Equal("2.0.0 Spooled", result.Reply.Text);
            var spool = delivery.Spool!;
            // Each chunk waited for the previous write, whose continuation came back to the reactor thread.
            Assert.Equal(0, spool.ChunksWhileWriting);
            Assert.Equal(0, spool.ResumedOffTheReactorThread);
            Assert.True(spool.Writes > 10, $"{spool.Writes} writes");
            Assert.Equal(SHA256.HashData(AsSent(message)), SHA256.HashData(await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken)));
            await watch.Closed;
            await WhenConnectionsClosed(reactor);
            await port.StopListening();
        }
        finally
        {
            File.Delete(path);
        }
        return true;
    });

    /// <summary>Sends a transaction's commands and part of a message, and nothing more.</summary>
    private sealed class HalfSender : Protocol
    {
        public override void ConnectionMade()
        {
            var text = new StringBuilder("EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
            for (var i = 0; i < 20_000; i++)
            {
                text.Append("line ").Append(i).Append(" of a message that will never end\r\n");
            }
            Transport.Write(Encoding.ASCII.GetBytes(text.ToString()));
        }
    }

    [Fact]
    public Task Paused_ClientDisconnects_AbortIsCalledOnce_AndTheHandleIsInert() => RunOnReactor(async reactor =>
    {
        var paused = new Deferred<bool>();
        var lateCallsThrew = false;
        var delivery = new Delivery(_ => new Receiver
        {
            OnData = (receiver, _) =>
            {
                if (receiver.Chunks == 1)
                {
                    // The sink is slow: it resumes only once the client is gone.
                    receiver.Pause();
                    paused.Callback(true);
                }
            },
            OnAbort = receiver =>
            {
                try
                {
                    receiver.Reading!.ResumeProducing();
                    receiver.Reading.PauseProducing();
                    receiver.Reading.StopProducing();
                }
                catch (Exception)
                {
                    lateCallsThrew = true;
                    throw;
                }
            },
        });
        var reads = new ReadCounter(new EsmtpServerFactory(reactor, delivery));
        var endpoint = Listen(reactor, reads, out var port);
        var client = new HalfSender();
        await Endpoint.ConnectProtocol(Endpoint.ClientFromString(reactor, endpoint), client);

        await paused;
        var readWhenPaused = reads.BytesRead;
        await reactor.DeferLater(TimeSpan.FromMilliseconds(20));
        // Paused from inside DataReceived: the transport read nothing more.
        Assert.Equal(readWhenPaused, reads.BytesRead);
        client.Transport.AbortConnection();
        await reactor.DeferLater(TimeSpan.FromMilliseconds(20));
        // A paused connection may not notice the loss before it reads again (a reader that never resumes is closed by
        // the idle timeout): the receiver resumes, the server reads the end of the connection and aborts the message.
        delivery.Receivers[0].Resume();
        await reads.Closed;

        var receiver = Assert.Single(delivery.Receivers);
        Assert.Equal(1, receiver.Aborts);
        Assert.Equal(0, receiver.Ends);
        Assert.Equal(0, receiver.ReceivedWhilePaused);
        Assert.Equal(0, receiver.ChunksAfterEnd);
        Assert.False(lateCallsThrew);
        var lost = Assert.IsType<SmtpException>(receiver.AbortReason);
        Assert.Contains("lost", lost.Message, StringComparison.Ordinal);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task HandleOfAFinishedMessage_PausesNothing_AndTheNextTransactionsReadNormally() => RunOnReactor(async reactor =>
    {
        IPushProducer? first = null;
        var waitingForTheFirstAnswer = false;
        var commandsReadWhileWaiting = 0;
        var delivery = new Delivery(index => index switch
        {
            0 => new Receiver
            {
                OnStart = receiver =>
                {
                    first = receiver.Reading;
                    // Paused twice and resumed once, later: pauses are not counted, so the message goes on.
                    receiver.Pause();
                    receiver.Pause();
                    reactor.CallLater(TimeSpan.FromMilliseconds(5), receiver.Resume);
                },
                OnEnd = receiver =>
                {
                    // The message is over: this pause must not stop the pipelined commands of the next message...
                    receiver.Reading!.PauseProducing();
                    waitingForTheFirstAnswer = true;
                    var answer = new Deferred<SmtpReply>();
                    reactor.CallLater(TimeSpan.FromMilliseconds(20), () =>
                    {
                        // ... nor may this resume read them before the answer to this message is sent.
                        receiver.Reading.ResumeProducing();
                        reactor.CallLater(TimeSpan.FromMilliseconds(20), () =>
                        {
                            waitingForTheFirstAnswer = false;
                            answer.Callback(new SmtpReply(250, "2.0.0 Queued slowly"));
                        });
                    });
                    return answer;
                },
            },
            // A receiver of a later message that gets hold of the first handle cannot pause its own transaction.
            1 => new Receiver { OnStart = _ => first!.PauseProducing() },
            _ => new Receiver { OnStart = _ => first!.StopProducing() },
        });
        delivery.OnSender = _ =>
        {
            if (waitingForTheFirstAnswer)
            {
                commandsReadWhileWaiting++;
            }
        };
        var reads = new ReadCounter(new EsmtpServerFactory(reactor, delivery));
        var sender = new SmtpSender(reactor, Listen(reactor, reads, out var port));
        var messages = Enumerable.Range(0, 3).Select(i => EsmtpClientTests.NewMessage($"message {i}\r\n")).ToList();
        // Queued together: the second and third transactions are pipelined behind the first message's final dot.
        var sends = messages.Select(m => sender.Send("ada@example.org", ["bob@example.org"], m)).ToList();

        var results = new List<SendMailResult>();
        foreach (var send in sends)
        {
            results.Add(await send);
        }

        Assert.Equal(["2.0.0 Queued slowly", "2.0.0 Queued", "2.0.0 Queued"], results.Select(r => r.Reply.Text));
        Assert.Equal(0, commandsReadWhileWaiting);
        Assert.Equal(3, delivery.Receivers.Count);
        for (var i = 0; i < 3; i++)
        {
            var receiver = delivery.Receivers[i];
            Assert.Equal((1, 1, 0), (receiver.Starts, receiver.Ends, receiver.Aborts));
            Assert.Equal(AsSent(messages[i]), receiver.Data.ToArray());
        }
        sender.Close();
        await reads.Closed;
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    private static (EsmtpServer Server, StringTransport Transport) Connect(IReactorTime clock, Delivery delivery, EsmtpServerOptions? options = null)
    {
        var server = new EsmtpServer(clock, delivery, options ?? new EsmtpServerOptions { HostName = "mx.test" });
        var transport = new StringTransport();
        server.MakeConnection(transport);
        server.DataReceived("EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"u8);
        transport.Clear();
        return (server, transport);
    }

    private static string Replies(StringTransport transport) => Encoding.ASCII.GetString(transport.Value());

    [Fact]
    public void PauseInTheMiddleOfAChunk_TheRestWaitsForResume_InOrder_WithThePipelinedCommandAfterIt()
    {
        var delivery = new Delivery(_ => new Receiver { OnData = (receiver, _) => receiver.Pause() });
        var (server, transport) = Connect(Clock, delivery);
        var receiver = Assert.Single(delivery.Receivers);

        server.DataReceived("one\r\n..two\r\nthree\r\n.\r\nNOOP\r\n"u8);

        // The first decoded piece (up to the stuffed dot) went to the receiver, which paused: nothing more, and the
        // transport stopped reading.
        Assert.Equal("one\r\n", Encoding.ASCII.GetString(receiver.Data.ToArray()));
        Assert.Equal(ProducerState.Paused, transport.ProducerState);
        Assert.Equal("", Replies(transport));
        var chunks = receiver.Chunks;
        while (receiver.Ends == 0)
        {
            // Each resume passes on the next piece, and the receiver pauses again; the last one reads the final dot.
            receiver.Resume();
            Assert.Equal(receiver.Ends == 0 ? chunks + 1 : chunks, receiver.Chunks);
            chunks = receiver.Chunks;
        }

        Assert.Equal("one\r\n.two\r\nthree\r\n", Encoding.ASCII.GetString(receiver.Data.ToArray()));
        Assert.Equal(0, receiver.ReceivedWhilePaused);
        Assert.Equal("250 2.0.0 Queued\r\n250 2.0.0 OK\r\n", Replies(transport));
        Assert.Equal(ProducerState.Producing, transport.ProducerState);
        server.ConnectionLost(new Failure(new ConnectionDoneException()));
        Assert.Equal(0, receiver.Aborts);
    }

    [Fact]
    public void PausedInStart_The354GoesOut_AndTheMessageIsReadOnResume()
    {
        var delivery = new Delivery(_ => new Receiver { OnStart = receiver => receiver.Pause() });
        var server = new EsmtpServer(Clock, delivery, new EsmtpServerOptions { HostName = "mx.test" });
        var transport = new StringTransport();
        server.MakeConnection(transport);

        server.DataReceived("EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n"u8);

        var receiver = Assert.Single(delivery.Receivers);
        Assert.EndsWith("354 Start mail input; end with <CRLF>.<CRLF>\r\n", Replies(transport), StringComparison.Ordinal);
        Assert.Equal(0, receiver.Chunks);
        Assert.Equal(ProducerState.Paused, transport.ProducerState);
        receiver.Resume();
        Assert.Equal("Subject: x\r\n\r\nbody\r\n", Encoding.ASCII.GetString(receiver.Data.ToArray()));
        Assert.Equal(1, receiver.Ends);
        Assert.EndsWith("250 2.0.0 Queued\r\n", Replies(transport), StringComparison.Ordinal);
        Assert.Equal(ProducerState.Producing, transport.ProducerState);
        server.ConnectionLost(new Failure(new ConnectionDoneException()));
    }

    [Fact]
    public void OverTheSizeLimit_WhilePausing_TheReceiverIsAbortedOnce_AndTheRestIsReadWhateverItDoes()
    {
        var delivery = new Delivery(_ => new Receiver
        {
            OnData = (receiver, _) => receiver.Pause(),
            // A receiver that pauses as it is aborted (its handle is already detached) and never resumes.
            OnAbort = receiver => receiver.Reading!.PauseProducing(),
        });
        var (server, transport) = Connect(Clock, delivery, new EsmtpServerOptions { HostName = "mx.test", MaxMessageSize = 100 });
        var receiver = Assert.Single(delivery.Receivers);

        // Two pieces (the stuffed dot splits them): the first within the limit, the second over it.
        server.DataReceived(Encoding.ASCII.GetBytes(new string('x', 60) + "\r\n.." + new string('y', 60) + "\r\n.\r\nNOOP\r\n"));
        Assert.Equal(62, receiver.Data.Length);
        Assert.Equal(ProducerState.Paused, transport.ProducerState);
        while (receiver.Aborts == 0)
        {
            receiver.Resume();
        }

        Assert.Equal(1, receiver.Aborts);
        Assert.IsType<SmtpException>(receiver.AbortReason);
        Assert.Equal(0, receiver.Ends);
        Assert.Equal(0, receiver.ChunksAfterEnd);
        Assert.True(receiver.Data.Length <= 100);
        Assert.Equal("552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.0.0 OK\r\n", Replies(transport));
        Assert.Equal(ProducerState.Producing, transport.ProducerState);
        server.ConnectionLost(new Failure(new ConnectionDoneException()));
        Assert.Equal(1, receiver.Aborts);
    }

    [Fact]
    public void NeverResumed_TheIdleTimeoutClosesTheConnection_AndTheReceiverIsAbortedOnce()
    {
        var delivery = new Delivery(_ => new Receiver { OnData = (receiver, _) => receiver.Pause() });
        var (server, transport) = Connect(Clock, delivery);
        var receiver = Assert.Single(delivery.Receivers);
        server.DataReceived("part of it\r\nand more\r\n"u8);
        Assert.Equal(1, receiver.Chunks);

        Clock.Advance(TimeSpan.FromMinutes(5));

        Assert.StartsWith("421 4.4.2 mx.test idle timeout", Replies(transport), StringComparison.Ordinal);
        Assert.True(transport.Disconnecting);
        Assert.Equal(0, receiver.Aborts);
        server.ConnectionLost(new Failure(new ConnectionDoneException()));
        Assert.Equal(1, receiver.Aborts);
        // A resume after the end does nothing (nothing more is passed on, nothing throws).
        receiver.Resume();
        Assert.Equal(1, receiver.Chunks);
        Assert.Equal(1, receiver.Aborts);
    }

    [Fact]
    public void StopProducing_ClosesTheConnection_PassesNothingMore_ThenAbortsOnce()
    {
        var delivery = new Delivery(_ => new Receiver { OnData = (receiver, _) => receiver.Reading!.StopProducing() });
        var (server, transport) = Connect(Clock, delivery);
        var receiver = Assert.Single(delivery.Receivers);

        server.DataReceived("one\r\ntwo\r\n"u8);
        receiver.Reading!.ResumeProducing();

        // As a transport's StopProducing, which closes the connection (StringTransport records it).
        Assert.Equal(ProducerState.Stopped, transport.ProducerState);
        Assert.Equal(1, receiver.Chunks);
        Assert.Equal(0, receiver.Aborts);
        server.ConnectionLost(new Failure(new ConnectionDoneException()));
        Assert.Equal(1, receiver.Aborts);
        Assert.Equal(1, receiver.Chunks);
    }

    [Fact]
    public void StartThrows_451_TheReceiverIsAborted_AndReadingGoesOn()
    {
        var delivery = new Delivery(index => index == 0
            ? new Receiver
            {
                OnStart = receiver =>
                {
                    receiver.Pause();
                    throw new IOException("spool unavailable");
                },
            }
            : new Receiver());
        var server = new EsmtpServer(Clock, delivery, new EsmtpServerOptions { HostName = "mx.test" });
        var transport = new StringTransport();
        server.MakeConnection(transport);

        server.DataReceived("EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nDATA\r\nhi\r\n.\r\n"u8);

        var failed = delivery.Receivers[0];
        Assert.Equal(1, failed.Aborts);
        Assert.Equal("spool unavailable", failed.AbortReason!.Message);
        Assert.Equal(0, failed.Chunks);
        Assert.Equal(ProducerState.Producing, transport.ProducerState);
        // The transaction is still open: the second DATA is taken by a new receiver.
        Assert.EndsWith("451 4.3.0 Local error in processing\r\n354 Start mail input; end with <CRLF>.<CRLF>\r\n250 2.0.0 Queued\r\n", Replies(transport), StringComparison.Ordinal);
        Assert.Equal("hi\r\n", Encoding.ASCII.GetString(delivery.Receivers[1].Data.ToArray()));
        server.ConnectionLost(new Failure(new ConnectionDoneException()));
        Assert.Equal(1, failed.Aborts);
    }
}
