using System.Net;
using System.Text;
using AsyncCore.Protocols;
using AsyncCore.Testing;

namespace AsyncCore.Mail.Tests;

/// <summary><see cref="SmtpSender"/>: reused connections, a pool, retries on connection failures only.</summary>
public sealed class SmtpSenderTests : ReactorTestBase
{
    private sealed class CountingServerFactory(IReactorTime clock, IMailDelivery delivery) : EsmtpServerFactory(clock, delivery)
    {
        public int Connections { get; private set; }

        public override IProtocol? BuildProtocol(EndPoint? address)
        {
            Connections++;
            return base.BuildProtocol(address);
        }
    }

    private static string Listen(AsyncCore.Reactors.EventLoopReactor reactor, Factory factory, out IListeningPort port)
    {
        port = reactor.ListenTcp(0, factory, interfaceAddress: "127.0.0.1");
        return "tcp:127.0.0.1:" + ((IPEndPoint)port.GetHost()).Port;
    }

    [Fact]
    public Task OneConnection_CarriesEveryMessage_AndARefusedOneDoesNotEndIt() => RunOnReactor(async reactor =>
    {
        var mailbox = new Mailbox();
        var factory = new CountingServerFactory(reactor, mailbox);
        var sender = new SmtpSender(reactor, Listen(reactor, factory, out var port));
        var sends = new List<Deferred<SendMailResult>>();
        for (var i = 0; i < 5; i++)
        {
            sends.Add(sender.Send("ada@example.org", [i == 2 ? "nobody@example.org" : $"r{i}@example.org"], EsmtpClientTests.NewMessage($"message {i}\r\n")));
        }
        for (var i = 0; i < 5; i++)
        {
            if (i == 2)
            {
                var error = await Assert.ThrowsAsync<SmtpException>(() => sends[i].AsTask(TestContext.Current.CancellationToken));
                Assert.Equal(550, Assert.Single(error.Recipients).Reply.Code);
            }
            else
            {
                Assert.Equal([$"r{i}@example.org"], (await sends[i]).Accepted.Select(r => r.Address));
            }
        }
        Assert.Equal(1, factory.Connections);
        Assert.Equal(4, mailbox.Messages.Count);
        sender.Close();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task Pool_OpensAtMostMaxConnections() => RunOnReactor(async reactor =>
    {
        var mailbox = new Mailbox();
        var factory = new CountingServerFactory(reactor, mailbox);
        var sender = new SmtpSender(reactor, Listen(reactor, factory, out var port), maxConnections: 4);
        var sends = Enumerable.Range(0, 40)
            .Select(i => sender.Send("ada@example.org", [$"r{i}@example.org"], EsmtpClientTests.NewMessage()))
            .ToList();
        foreach (var send in sends)
        {
            await send;
        }
        Assert.Equal(4, factory.Connections);
        Assert.Equal(40, mailbox.Messages.Count);
        sender.Close();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task PermanentRefusal_IsNotRetried() => RunOnReactor(async reactor =>
    {
        var factory = new CountingServerFactory(reactor, new Mailbox());
        var sender = new SmtpSender(reactor, Listen(reactor, factory, out var port)) { RetryDelay = TimeSpan.Zero };
        var error = await Assert.ThrowsAsync<SmtpException>(() =>
            sender.Send("spammer@example.org", ["bob@example.org"], EsmtpClientTests.NewMessage()).AsTask(TestContext.Current.CancellationToken));
        Assert.Equal(550, error.Reply?.Code);
        Assert.Equal(1, factory.Connections);
        sender.Close();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task ServerDropsMidData_TheMessageFailsClearly_OrIsRetriedOnANewConnection() => RunOnReactor(async reactor =>
    {
        var dropping = new DroppingServerFactory(drops: 1);
        var endpoint = Listen(reactor, dropping, out var port);

        // Without retries: a clear failure, nothing reported as sent.
        var once = new SmtpSender(reactor, endpoint) { Retries = 0 };
        var error = await Assert.ThrowsAsync<SmtpException>(() =>
            once.Send("ada@example.org", ["bob@example.org"], EsmtpClientTests.NewMessage()).AsTask(TestContext.Current.CancellationToken));
        Assert.Contains("lost before the server accepted the message", error.Message, StringComparison.Ordinal);
        Assert.True(error.IsTransient);
        Assert.Equal(0, dropping.Accepted);

        // With retries: the second connection takes it.
        dropping.DropsLeft = 1;
        var retrying = new SmtpSender(reactor, endpoint) { RetryDelay = TimeSpan.Zero };
        var result = await retrying.Send("ada@example.org", ["bob@example.org"], EsmtpClientTests.NewMessage());
        Assert.Single(result.Accepted);
        Assert.Equal(1, dropping.Accepted);
        Assert.Equal(3, dropping.Connections);
        once.Close();
        retrying.Close();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    /// <summary>A scripted server that accepts the envelope, then drops the first connections in the middle of DATA.</summary>
    private sealed class DroppingServerFactory(int drops) : Factory
    {
        public int DropsLeft { get; set; } = drops;

        public int Connections { get; private set; }

        public int Accepted { get; set; }

        public override IProtocol? BuildProtocol(EndPoint? address)
        {
            Connections++;
            var drop = DropsLeft > 0;
            if (drop)
            {
                DropsLeft--;
            }
            return new DroppingServer(this, drop);
        }
    }

    private sealed class DroppingServer(DroppingServerFactory factory, bool drop) : LineReceiver
    {
        private bool _inData;

        public override void ConnectionMade()
        {
            base.ConnectionMade();
            Transport.Write("220 x\r\n"u8);
        }

        protected override void LineReceived(ReadOnlySpan<byte> line)
        {
            var text = Encoding.ASCII.GetString(line);
            if (_inData)
            {
                if (drop)
                {
                    Transport.AbortConnection();
                }
                else if (text == ".")
                {
                    _inData = false;
                    factory.Accepted++;
                    Transport.Write("250 ok\r\n"u8);
                }
                return;
            }
            var verb = text.Split(' ')[0].ToUpperInvariant();
            switch (verb)
            {
                case "DATA":
                    _inData = true;
                    Transport.Write("354 go\r\n"u8);
                    break;
                case "QUIT":
                    Transport.Write("221 bye\r\n"u8);
                    Transport.LoseConnection();
                    break;
                default:
                    Transport.Write("250 ok\r\n"u8);
                    break;
            }
        }
    }
}
