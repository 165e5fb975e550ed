using System.Net;
using System.Text;
using AsyncCore.Endpoints;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Tests.Transports;

namespace AsyncCore.Tests.Protocols;

/// <summary>
/// Twisted's LineReceiver rule: a reason returned from <c>lineReceived</c>/<c>rawDataReceived</c> stops the parsing of
/// what is already buffered and closes the connection with that reason (here <see cref="LineReceiver.StopParsing"/>).
/// </summary>
public class LineReceiverStopParsingTests
{
    /// <summary>Stops on the line "quit" (after answering it) and on raw data containing 'X'.</summary>
    private sealed class StoppingReceiver : LineReceiver
    {
        public List<string> Lines { get; } = [];

        public List<string> Raw { get; } = [];

        public Failure? LostReason { get; private set; }

        public ConnectionLostException Reason { get; } = new("the peer said quit");

        public void StopFromOutside() => StopParsing(Reason);

        protected override void LineReceived(ReadOnlySpan<byte> line)
        {
            var text = Encoding.ASCII.GetString(line);
            Lines.Add(text);
            if (text == "quit")
            {
                SendLine("bye"u8);
                StopParsing(Reason);
                // A second reason is ignored: the first one wins.
                StopParsing(new InvalidOperationException("second"));
            }
            else if (text == "raw")
            {
                SetRawMode();
            }
        }

        protected override void RawDataReceived(ReadOnlySpan<byte> data)
        {
            var text = Encoding.ASCII.GetString(data);
            Raw.Add(text);
            if (text.Contains('X', StringComparison.Ordinal))
            {
                StopParsing(Reason);
            }
        }

        public override void ConnectionLost(Failure reason) => LostReason = reason;
    }

    /// <summary>Records what arrives and how the connection ended.</summary>
    private sealed class Peer : Protocol
    {
        public MemoryStream Received { get; } = new();

        public Failure? LostReason { get; private set; }

        public override void DataReceived(ReadOnlySpan<byte> data) => Received.Write(data);

        public override void ConnectionLost(Failure reason) => LostReason = reason;
    }

    [Fact]
    public void StopParsing_InLineReceived_LaterLinesOfTheSameReadAreNotDelivered()
    {
        var transport = new StringTransport();
        var receiver = new StoppingReceiver();
        receiver.MakeConnection(transport);

        receiver.DataReceived("one\r\nquit\r\ntwo\r\nthree\r\n"u8);
        receiver.DataReceived("four\r\n"u8);

        Assert.Equal(["one", "quit"], receiver.Lines);
        Assert.True(receiver.ParsingStopped);
        Assert.True(transport.Disconnected);
        Assert.Same(receiver.Reason, transport.AbortReason);
    }

    [Fact]
    public void StopParsing_OverALoopback_ConnectionLostGetsTheReasonAndThePeerSeesACleanClose()
    {
        var server = new StoppingReceiver();
        var client = new Peer();
        var pump = Loopback.Connect(server, client);

        client.Transport.Write("one\r\nquit\r\ntwo\r\n"u8);
        pump.Flush();

        Assert.Equal(["one", "quit"], server.Lines);
        Assert.NotNull(server.LostReason);
        Assert.Same(server.Reason, server.LostReason.Value);
        Assert.IsType<ConnectionDoneException>(client.LostReason?.Value);
        // As in Twisted, the close drops what was not sent yet.
        Assert.Equal(0, client.Received.Length);
        Assert.True(pump.WhenDisconnected.Called);
    }

    [Fact]
    public void StopParsing_InRawDataReceived_LaterDataIsNotDeliveredAndTheConnectionCloses()
    {
        var server = new StoppingReceiver();
        var client = new Peer();
        var pump = Loopback.Connect(server, client);

        client.Transport.Write("raw\r\nabcX"u8);
        pump.Flush();
        Assert.Equal(["raw"], server.Lines);
        Assert.Equal(["abcX"], server.Raw);
        Assert.Same(server.Reason, server.LostReason?.Value);

        server.DataReceived("more"u8);
        Assert.Equal(["abcX"], server.Raw);
    }

    [Fact]
    public void StopParsing_OutsideACallback_ClosesAtOnceWithTheReason()
    {
        var server = new StoppingReceiver();
        var client = new Peer();
        var pump = Loopback.Connect(server, client);

        server.StopFromOutside();
        pump.Flush();

        Assert.Same(server.Reason, server.LostReason?.Value);
        Assert.IsType<ConnectionDoneException>(client.LostReason?.Value);
    }

    [Fact]
    public void StopParsing_ThroughAProtocolWrapper_TheReasonReachesConnectionLost()
    {
        var inner = new StoppingReceiver();
        var wrapping = new WrappingFactory(new ServerFactory(() => inner));
        var server = wrapping.BuildProtocol(new IPEndPoint(IPAddress.Loopback, 1))!;
        var client = new Peer();
        var pump = Loopback.Connect(server, client);

        client.Transport.Write("quit\r\nlater\r\n"u8);
        pump.Flush();

        Assert.Equal(["quit"], inner.Lines);
        Assert.Same(inner.Reason, inner.LostReason?.Value);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StopParsing_OnARealConnection_ConnectionLostGetsTheReason(bool epoll)
    {
        using var net = new RunningReactor(epoll);
        var server = new StoppingReceiver();
        var lost = new TaskCompletionSource<Failure>(TaskCreationOptions.RunContinuationsAsynchronously);
        var port = await net.Run(() => net.Reactor.ListenTcp(0, new ServerFactory(() => new ObservedReceiver(server, lost)), 50, "127.0.0.1"));
        var client = new Peer();
        var address = (IPEndPoint)port.GetHost();
        await net.Call(() => Endpoint.ConnectProtocol(Endpoint.ClientFromString(net.Reactor, $"tcp:127.0.0.1:{address.Port}"), client));
        await net.Run(() =>
        {
            client.Transport.Write("one\r\nquit\r\ntwo\r\n"u8);
            return 0;
        });
        var reason = await lost.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.IsType<ConnectionLostException>(reason.Value);
        Assert.Equal("the peer said quit", reason.Value.Message);
        Assert.Equal(["one", "quit"], await net.Run(() => server.Lines.ToList()));
        await net.Call(port.StopListening);
    }

    /// <summary>A receiver for a real connection that reports its loss to the test thread.</summary>
    private sealed class ObservedReceiver(StoppingReceiver record, TaskCompletionSource<Failure> lost) : LineReceiver
    {
        protected override void LineReceived(ReadOnlySpan<byte> line)
        {
            var text = Encoding.ASCII.GetString(line);
            record.Lines.Add(text);
            if (text == "quit")
            {
                StopParsing(record.Reason);
            }
        }

        public override void ConnectionLost(Failure reason) => lost.TrySetResult(reason);
    }
}
