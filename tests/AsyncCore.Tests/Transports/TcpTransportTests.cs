using System.Net;
using System.Net.Sockets;
using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Transports;

/// <summary>The TCP transport on real sockets (127.0.0.1 and ::1).</summary>
public class TcpTransportTests : IDisposable
{
    private readonly RunningReactor _net;

    /// <summary>Runs the tests on the default <see cref="AsyncCore.Reactors.EventLoopReactor"/> (completion-based transports).</summary>
    public TcpTransportTests() : this(epoll: false)
    {
    }

    /// <summary>Runs the tests on the given reactor kind.</summary>
    protected TcpTransportTests(bool epoll) => _net = new RunningReactor(epoll);

    public void Dispose()
    {
        _net.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class FailureRecordingFactory : ClientFactory
    {
        public Deferred<Exception> Failed { get; } = new();

        public override void ClientConnectionFailed(IConnector connector, Failure reason) => Failed.Callback(reason.Value);
    }

    private async Task<IListeningPort> Listen(Func<IProtocol> make, string iface = "127.0.0.1") =>
        await _net.Run(() => _net.Reactor.ListenTcp(0, new ServerFactory(make), interfaceAddress: iface));

    private async Task<IProtocol> Connect(IListeningPort port, IProtocol client) =>
        await _net.Call(() => Endpoint.ConnectProtocol(new TcpClientEndpoint(_net.Reactor, ((IPEndPoint)port.GetHost()).Address.ToString(), ((IPEndPoint)port.GetHost()).Port), client));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Echo_OverLoopback_DataComesBackAndBothSidesCloseCleanly(string address)
    {
        var servers = new List<CollectingProtocol>();
        var port = await Listen(() =>
        {
            var p = new CollectingProtocol { OnData = c => c.Transport.Write(c.Kept!.ToArray()[^(int)Math.Min(c.Kept.Length, 5)..]) };
            servers.Add(p);
            return p;
        }, address);
        var client = new CollectingProtocol();
        client.OnData = c =>
        {
            if (c.Count == 5)
            {
                c.Transport.LoseConnection();
            }
        };
        await Connect(port, client);
        await _net.Run(() =>
        {
            client.Transport.Write("hello"u8);
            return 0;
        });
        var reason = await _net.Call(() => client.Lost);
        Assert.True(reason.Check<ConnectionDoneException>(), reason.ToString());
        Assert.Equal("hello"u8.ToArray(), client.Kept!.ToArray());
        var serverReason = await _net.Call(() => servers.Single().Lost);
        Assert.True(serverReason.Check<ConnectionDoneException>(), serverReason.ToString());
        var peer = (IPEndPoint)servers[0].Transport.GetPeer()!;
        Assert.Equal(IPAddress.Parse(address), peer.Address);
        await _net.Call(port.StopListening);
    }

    private sealed class HalfCloseServer : CollectingProtocol, IHalfCloseableProtocol
    {
        public void ReadConnectionLost()
        {
            Transport.Write([.. "got "u8, .. Kept!.ToArray()]);
            Transport.LoseConnection();
        }

        public void WriteConnectionLost()
        {
        }
    }

    private sealed class HalfCloseClient : CollectingProtocol, IHalfCloseableProtocol
    {
        public bool WriteLost { get; private set; }

        public void ReadConnectionLost() => Transport.LoseConnection();

        public void WriteConnectionLost() => WriteLost = true;
    }

    [Fact]
    public async Task LoseWriteConnection_HalfCloseablePeer_StillAnswersAfterEndOfStream()
    {
        var port = await Listen(() => new HalfCloseServer());
        var client = new HalfCloseClient();
        await Connect(port, client);
        await _net.Run(() =>
        {
            client.Transport.Write("request"u8);
            client.Transport.LoseWriteConnection();
            return 0;
        });
        var reason = await _net.Call(() => client.Lost);
        Assert.Equal("got request"u8.ToArray(), client.Kept!.ToArray());
        Assert.True(client.WriteLost);
        Assert.True(reason.Check<ConnectionDoneException>(), reason.ToString());
    }

    [Fact]
    public async Task AbortConnection_ReportsAbortedLocallyAndLostRemotely()
    {
        var servers = new List<CollectingProtocol>();
        var port = await Listen(() =>
        {
            var p = new CollectingProtocol();
            servers.Add(p);
            return p;
        });
        var client = new CollectingProtocol();
        await Connect(port, client);
        await _net.Call(() => servers.Count > 0 ? servers[0].Made : Deferred.Succeed<ITransport>(null!));
        var abortedSynchronously = await _net.Run(() =>
        {
            client.Transport.Write(new byte[100_000]);
            client.Transport.AbortConnection();
            client.Transport.AbortConnection();
            return client.Lost.Called;
        });
        Assert.False(abortedSynchronously);
        var reason = await _net.Call(() => client.Lost);
        Assert.True(reason.Check<ConnectionAbortedException>(), reason.ToString());
        var serverReason = await _net.Call(() => servers.Single().Lost);
        Assert.True(serverReason.Check<ConnectionClosedException>(), serverReason.ToString());
    }

    [Fact]
    public async Task LoseConnection_WithBufferedData_FlushesBeforeClosing()
    {
        var payload = new byte[3_000_000];
        Random.Shared.NextBytes(payload);
        var port = await Listen(() => new WriteAndClose(payload));
        var client = new CollectingProtocol();
        await Connect(port, client);
        var reason = await _net.Call(() => client.Lost);
        Assert.True(reason.Check<ConnectionDoneException>(), reason.ToString());
        Assert.Equal(payload, client.Kept!.ToArray());
    }

    private sealed class WriteAndClose(byte[] payload) : Protocol
    {
        public override void ConnectionMade()
        {
            Transport.Write(payload);
            Transport.LoseConnection();
            Transport.Write("ignored after LoseConnection"u8);
        }
    }

    [Fact]
    public async Task SlowReader_100MegabytesFromAPushProducer_WriteBufferStaysBounded()
    {
        const long Total = 100L * 1024 * 1024;
        PushSender? sender = null;
        var port = await Listen(() => sender = new PushSender(Total, 16 * 1024));
        var client = new CollectingProtocol { Kept = null };
        client.OnData = c =>
        {
            // A slow reader: stop reading after each chunk and resume a moment later.
            c.Transport.PauseProducing();
            _net.Reactor.CallLater(TimeSpan.FromMilliseconds(0.2), c.Transport.ResumeProducing);
        };
        await Connect(port, client);
        var reason = await _net.Call(() => client.Lost);
        Assert.True(reason.Check<ConnectionDoneException>(), reason.ToString());
        Assert.Equal(Total, client.Count);
        var sent = await _net.Call(() => sender!.Done);
        Assert.Equal(sent, client.Hash());
        Assert.True(sender!.Pauses > 0);
        // The transport never buffers more than the high-water mark plus the one write that crossed it.
        Assert.InRange(sender.MaxBuffered, 1, (64 * 1024) + (16 * 1024));
    }

    [Fact]
    public async Task ConnectTcp_NothingListening_FailsWithConnectionRefused()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closedPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        probe.Dispose();
        var factory = new FailureRecordingFactory();
        var reason = await _net.Call(() =>
        {
            _net.Reactor.ConnectTcp("127.0.0.1", closedPort, factory);
            return factory.Failed;
        });
        Assert.True(reason.Check<ConnectionRefusedException>(), reason.ToString());
    }

    [Fact]
    public async Task ConnectTcp_PeerNeverAnswers_FailsWithTimeout()
    {
        // A listener that never accepts, with its backlog filled: further SYNs are dropped, so connecting hangs.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var target = (IPEndPoint)listener.LocalEndPoint!;
        var fillers = new List<Socket>();
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            fillers.Add(filler);
            _ = filler.ConnectAsync(target, TestContext.Current.CancellationToken).AsTask().ContinueWith(_ => { }, TaskScheduler.Default);
        }
        try
        {
            var factory = new FailureRecordingFactory();
            var reason = await _net.Call(() =>
            {
                _net.Reactor.ConnectTcp("127.0.0.1", target.Port, factory, TimeSpan.FromMilliseconds(300));
                return factory.Failed;
            });
            Assert.True(reason.Check<ConnectTimeoutException>(), reason.ToString());
        }
        finally
        {
            fillers.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task ListenTcp_PortInUse_ThrowsCannotListen()
    {
        var port = await Listen(() => new EchoProtocol());
        var taken = ((IPEndPoint)port.GetHost()).Port;
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        other.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        other.Listen();
        var busy = ((IPEndPoint)other.LocalEndPoint!).Port;
        var error = await Assert.ThrowsAsync<CannotListenException>(() => _net.Call(() =>
            Deferred.MaybeDeferred(() => _net.Reactor.ListenTcp(busy, new ServerFactory(() => new EchoProtocol()), interfaceAddress: "127.0.0.1"))));
        Assert.NotNull(error.Address);
        Assert.NotEqual(0, taken);
    }

    [Fact]
    public async Task Transport_OnEitherReactor_IsASocketTransportWithItsConnectedSocket()
    {
        // The transport classes are internal and differ by reactor: the socket is reached the same way on both.
        var server = new CollectingProtocol();
        var port = await Listen(() => server);
        var client = new CollectingProtocol();
        await Connect(port, client);
        var (noDelay, local, tls) = await _net.Run(() =>
        {
            var transport = Assert.IsAssignableFrom<ISocketTransport>(client.Transport);
            transport.Socket.NoDelay = true;
            return (transport.Socket.NoDelay, (IPEndPoint)transport.Socket.LocalEndPoint!, transport.TlsStream);
        });
        Assert.True(noDelay);
        Assert.Equal(client.Transport.GetHost(), local);
        Assert.Null(tls);
        await _net.Call(port.StopListening);
    }

    [Fact]
    public async Task DataReceived_Throws_ConnectionIsClosed()
    {
        var port = await Listen(() => new Throwing());
        var client = new CollectingProtocol();
        await Connect(port, client);
        await _net.Run(() =>
        {
            client.Transport.Write("boom"u8);
            return 0;
        });
        var reason = await _net.Call(() => client.Lost);
        Assert.True(reason.Check<ConnectionClosedException>(), reason.ToString());
    }

    private sealed class Throwing : Protocol
    {
        public override void DataReceived(ReadOnlySpan<byte> data) => throw new InvalidOperationException("protocol bug");
    }

    [Fact]
    public async Task ServerFromString_TcpOnLoopback_ListensAndEchoes()
    {
        var port = await _net.Call(() => Endpoint.ServerFromString(_net.Reactor, "tcp:0:interface=127.0.0.1:backlog=10").Listen(new ServerFactory(() => new EchoProtocol())));
        var p = ((IPEndPoint)port.GetHost()).Port;
        var client = new CollectingProtocol();
        client.OnData = c => c.Transport.LoseConnection();
        await _net.Call(() => Endpoint.ConnectProtocol(Endpoint.ClientFromString(_net.Reactor, $"tcp:host=127.0.0.1:port={p}:timeout=5"), client));
        await _net.Run(() =>
        {
            client.Transport.Write("x"u8);
            return 0;
        });
        await _net.Call(() => client.Lost);
        Assert.Equal("x"u8.ToArray(), client.Kept!.ToArray());
    }

    [Fact]
    public async Task StopListening_StopsTheFactoryAndRefusesNewConnections()
    {
        var factory = new ServerFactory(() => new EchoProtocol());
        var port = await _net.Run(() => _net.Reactor.ListenTcp(0, factory, interfaceAddress: "127.0.0.1"));
        Assert.Equal(1, factory.NumPorts);
        await _net.Call(port.StopListening);
        Assert.Equal(0, factory.NumPorts);
        var refused = new FailureRecordingFactory();
        var reason = await _net.Call(() =>
        {
            _net.Reactor.ConnectTcp("127.0.0.1", ((IPEndPoint)port.GetHost()).Port, refused);
            return refused.Failed;
        });
        Assert.True(reason.Check<ConnectionRefusedException>(), reason.ToString());
    }

    [Fact]
    public async Task Connect_CancelledWhileConnecting_FailsWithConnectingCancelled()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var target = (IPEndPoint)listener.LocalEndPoint!;
        var fillers = Enumerable.Range(0, 4).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ToList();
        fillers.ForEach(s => _ = s.ConnectAsync(target, TestContext.Current.CancellationToken).AsTask().ContinueWith(_ => { }, TaskScheduler.Default));
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => _net.Call(() =>
            {
                var d = new TcpClientEndpoint(_net.Reactor, "127.0.0.1", target.Port).Connect(new Factory(() => new EchoProtocol()));
                _net.Reactor.CallLater(TimeSpan.FromMilliseconds(50), d.Cancel);
                return d;
            }));
            Assert.IsType<ConnectingCancelledException>(error);
        }
        finally
        {
            fillers.ForEach(s => s.Dispose());
        }
    }
}

/// <summary>The same tests on the <see cref="AsyncCore.Reactors.EpollReactor"/> (readiness-based transports).</summary>
public sealed class TcpTransportEpollTests : TcpTransportTests
{
    public TcpTransportEpollTests() : base(epoll: true)
    {
    }
}
