using System.Net;
using AsyncCore.Endpoints;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Protocols.PortForward;

namespace AsyncCore.Tests.Transports;

/// <summary>Port forwarding (Twisted's PortforwardingTests) over real sockets, 100 MB each way.</summary>
public class PortForwardTests : IDisposable
{
    private const long Total = 100L * 1024 * 1024;
    private readonly RunningReactor _net;

    /// <summary>Runs the tests on the default <see cref="AsyncCore.Reactors.EventLoopReactor"/> (completion-based transports).</summary>
    public PortForwardTests() : this(epoll: false)
    {
    }

    /// <summary>Runs the tests on the given reactor kind.</summary>
    protected PortForwardTests(bool epoll) => _net = new RunningReactor(epoll);

    public void Dispose()
    {
        _net.Dispose();
        GC.SuppressFinalize(this);
    }

    private async Task<int> Forwarder(int targetPort)
    {
        var port = await _net.Run(() => _net.Reactor.ListenTcp(0, new PortForwardFactory(_net.Reactor, "127.0.0.1", targetPort), interfaceAddress: "127.0.0.1"));
        return ((IPEndPoint)port.GetHost()).Port;
    }

    [Fact]
    public async Task PortForward_Upload100Megabytes_ArrivesUnchanged()
    {
        var targets = new List<CollectingProtocol>();
        var target = await _net.Run(() => _net.Reactor.ListenTcp(0, new ServerFactory(() =>
        {
            var p = new CollectingProtocol { Kept = null };
            targets.Add(p);
            return p;
        }), interfaceAddress: "127.0.0.1"));
        var forward = await Forwarder(((IPEndPoint)target.GetHost()).Port);
        var sender = new PushSender(Total, 64 * 1024);
        await _net.Call(() => Endpoint.ConnectProtocol(new TcpClientEndpoint(_net.Reactor, "127.0.0.1", forward), sender));
        var sentHash = await _net.Call(() => sender.Done);
        var reason = await _net.Call(() => targets.Single().Lost);
        Assert.True(reason.Check<ConnectionDoneException>(), reason.ToString());
        Assert.Equal(Total, targets[0].Count);
        Assert.Equal(sentHash, targets[0].Hash());
    }

    [Fact]
    public async Task PortForward_Download100MegabytesToASlowReader_ArrivesUnchangedWithBoundedBuffers()
    {
        PushSender? sender = null;
        var target = await _net.Run(() => _net.Reactor.ListenTcp(0, new ServerFactory(() => sender = new PushSender(Total, 64 * 1024)), interfaceAddress: "127.0.0.1"));
        var forward = await Forwarder(((IPEndPoint)target.GetHost()).Port);
        var client = new CollectingProtocol { Kept = null };
        var reads = 0;
        client.OnData = c =>
        {
            if (++reads % 16 == 0)
            {
                c.Transport.PauseProducing();
                _net.Reactor.CallLater(TimeSpan.FromMilliseconds(1), c.Transport.ResumeProducing);
            }
        };
        await _net.Call(() => Endpoint.ConnectProtocol(new TcpClientEndpoint(_net.Reactor, "127.0.0.1", forward), client));
        var reason = await _net.Call(() => client.Lost);
        Assert.True(reason.Check<ConnectionDoneException>(), reason.ToString());
        Assert.Equal(Total, client.Count);
        var sentHash = await _net.Call(() => sender!.Done);
        Assert.Equal(sentHash, client.Hash());
        Assert.InRange(sender!.MaxBuffered, 1, (64 * 1024) + (64 * 1024));
    }

    [Fact]
    public async Task PortForward_TargetRefuses_ClosesTheAcceptedConnection()
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closed = ((IPEndPoint)probe.LocalEndPoint!).Port;
        probe.Dispose();
        var forward = await Forwarder(closed);
        var client = new CollectingProtocol();
        await _net.Call(() => Endpoint.ConnectProtocol(new TcpClientEndpoint(_net.Reactor, "127.0.0.1", forward), client));
        var reason = await _net.Call(() => client.Lost);
        Assert.True(reason.Check<ConnectionClosedException>(), reason.ToString());
        Assert.Equal(0, client.Count);
    }

    private sealed class Recorder : Protocol
    {
        public MemoryStream Received { get; } = new();

        public override void DataReceived(ReadOnlySpan<byte> data) => Received.Write(data);
    }

    [Fact]
    public void ProxyClient_ConnectionMade_RegistersEachSideAsTheOthersStreamingProducer()
    {
        // In memory: the accepted side and the outgoing side, as Twisted's test_registerProducers does.
        var outgoing = new StubEndpoint();
        var server = (ProxyServer)new PortForwardFactory(outgoing).BuildProtocol(null)!;
        var accepted = Loopback.Connect(server, new Recorder());
        Assert.True(accepted.ServerTransport.ReadPaused);
        var proxyClient = outgoing.LastFactory!.BuildProtocol(null)!;
        var remote = new Recorder();
        var link = Loopback.Connect(remote, proxyClient);
        Assert.False(accepted.ServerTransport.ReadPaused);
        accepted.ClientTransport.Write("to remote"u8);
        accepted.Flush();
        link.Flush();
        Assert.Equal("to remote"u8.ToArray(), remote.Received.ToArray());
        link.ServerTransport.Write("to client"u8);
        link.Flush();
        accepted.Flush();
        Assert.Equal("to client"u8.ToArray(), ((Recorder)accepted.Client).Received.ToArray());
    }

    private sealed class StubEndpoint : IStreamClientEndpoint
    {
        public Factory? LastFactory { get; private set; }

        public Deferred<IProtocol> Connect(Factory factory)
        {
            LastFactory = factory;
            return new Deferred<IProtocol>();
        }
    }
}

/// <summary>The same tests on the <see cref="AsyncCore.Reactors.EpollReactor"/> (readiness-based transports).</summary>
public sealed class PortForwardEpollTests : PortForwardTests
{
    public PortForwardEpollTests() : base(epoll: true)
    {
    }
}
