using System.Net;
using AsyncCore.Endpoints;
using AsyncCore.Transports;

namespace AsyncCore.Protocols.PortForward;

/// <summary>
/// A server factory that relays every connection to a remote address (Twisted's <c>portforward.ProxyFactory</c>). Each
/// side is registered as the other's streaming producer, so a slow side slows the other down and nothing buffers without
/// bound in either direction.
/// </summary>
/// <example>
/// <code>
/// reactor.ListenTcp(8080, new PortForwardFactory(new TcpClientEndpoint(reactor, "example.com", 80)));
/// </code>
/// </example>
/// <remarks>
/// Open for extension as in Twisted: override <see cref="BuildProtocol"/> to return a <see cref="ProxyServer"/> subclass,
/// and <see cref="ProxyServer.CreateClient"/> to use a <see cref="ProxyClient"/> subclass (say, one that inspects or
/// rewrites the relayed data in <see cref="Proxy.DataReceived"/>).
/// </remarks>
public class PortForwardFactory : ServerFactory
{
    /// <summary>Relays to whatever <paramref name="target"/> connects to (TCP, TLS, UNIX...).</summary>
    public PortForwardFactory(IStreamClientEndpoint target)
    {
        Target = target ?? throw new ArgumentNullException(nameof(target));
    }

    /// <summary>Relays to <paramref name="host"/>:<paramref name="port"/> over TCP.</summary>
    public PortForwardFactory(IReactorTcp reactor, string host, int port) : this(new TcpClientEndpoint(reactor, host, port))
    {
    }

    /// <summary>Where connections are relayed.</summary>
    public IStreamClientEndpoint Target { get; }

    /// <inheritdoc />
    public override IProtocol? BuildProtocol(EndPoint? address) => new ProxyServer(this);
}

/// <summary>One side of a relayed connection (Twisted's <c>portforward.Proxy</c>): writes what it receives to its peer.</summary>
public abstract class Proxy : Protocol
{
    /// <summary>The other side, once both are connected.</summary>
    public Proxy? Peer { get; internal set; }

    /// <inheritdoc />
    public override void DataReceived(ReadOnlySpan<byte> data) => Peer?.Transport.Write(data);

    /// <inheritdoc />
    public override void ConnectionLost(Failure reason)
    {
        base.ConnectionLost(reason);
        var peer = Peer;
        Peer = null;
        if (peer is not null)
        {
            peer.Peer = null;
            peer.Transport.LoseConnection();
        }
    }
}

/// <summary>The accepted side (Twisted's <c>ProxyServer</c>): pauses reading until the outgoing connection is made.</summary>
public class ProxyServer : Proxy
{
    private readonly PortForwardFactory _factory;
    private Deferred<IProtocol>? _connecting;

    /// <summary>Creates the accepted side of a connection relayed by <paramref name="factory"/>.</summary>
    public ProxyServer(PortForwardFactory factory)
    {
        _factory = factory ?? throw new ArgumentNullException(nameof(factory));
        Factory = factory;
    }

    /// <summary>
    /// Makes the outgoing side once this side is connected (Twisted's <c>clientProtocolFactory</c>); override to relay
    /// through a <see cref="ProxyClient"/> subclass.
    /// </summary>
    protected virtual ProxyClient CreateClient() => new(this);

    /// <inheritdoc />
    public override void ConnectionMade()
    {
        Transport.PauseProducing();
        _connecting = _factory.Target.Connect(new Factory(CreateClient) { Noisy = false });
        _connecting.AddErrback(_ =>
        {
            // The target is unreachable: drop the accepted connection.
            if (HasTransport)
            {
                Transport.LoseConnection();
            }
        });
    }

    /// <inheritdoc />
    public override void ConnectionLost(Failure reason)
    {
        if (Peer is null && _connecting is { Called: false })
        {
            _connecting.Cancel();
        }
        base.ConnectionLost(reason);
    }
}

/// <summary>The outgoing side (Twisted's <c>ProxyClient</c>): links the two sides and starts the relay.</summary>
public class ProxyClient : Proxy
{
    private readonly ProxyServer _server;

    /// <summary>Creates the outgoing side for <paramref name="server"/>.</summary>
    public ProxyClient(ProxyServer server) => _server = server ?? throw new ArgumentNullException(nameof(server));

    /// <inheritdoc />
    public override void ConnectionMade()
    {
        if (!_server.Connected)
        {
            Transport.LoseConnection();
            return;
        }
        Peer = _server;
        _server.Peer = this;
        // Backpressure both ways: each transport pauses the other's reading when its write buffer is full.
        Transport.RegisterProducer(_server.Transport, streaming: true);
        _server.Transport.RegisterProducer(Transport, streaming: true);
        _server.Transport.ResumeProducing();
    }
}
