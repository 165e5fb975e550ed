using System.Net;
using AsyncCore.Protocols;
using AsyncCore.Web;

namespace AsyncCore.WebSockets;

/// <summary>
/// Builds the server protocol of each WebSocket connection (Autobahn's <c>WebSocketServerFactory</c>). Give it to a
/// <see cref="WebSocketResource"/> to serve WebSocket on a path of a <see cref="Site"/>, or listen with it directly on
/// an endpoint (<c>Endpoint.ServerFromString(reactor, "tcp:9000").Listen(factory)</c>; <c>ssl:</c> for <c>wss://</c>),
/// where every path accepts the upgrade.
/// </summary>
public class WebSocketServerFactory : ServerFactory
{
    private readonly Func<WebSocketServerProtocol> _protocolFactory;
    private readonly Site _site;

    /// <summary>Creates the factory.</summary>
    /// <param name="clock">Times the close handshake and the keep-alive pings (the reactor).</param>
    /// <param name="protocolFactory">Makes one protocol per connection.</param>
    /// <param name="options">The settings; defaults when null.</param>
    public WebSocketServerFactory(IReactorTime clock, Func<WebSocketServerProtocol> protocolFactory, WebSocketServerOptions? options = null)
    {
        Clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _protocolFactory = protocolFactory ?? throw new ArgumentNullException(nameof(protocolFactory));
        Options = options ?? new WebSocketServerOptions();
        _site = new Site(new WebSocketResource(this));
    }

    /// <summary>The clock of the connections' timers.</summary>
    public IReactorTime Clock { get; }

    /// <summary>The settings of every connection.</summary>
    public WebSocketServerOptions Options { get; }

    /// <summary>Makes the protocol of one connection.</summary>
    public virtual WebSocketServerProtocol BuildWebSocketProtocol() => _protocolFactory();

    /// <summary>A connection to a standalone server: an HTTP channel whose every path upgrades to WebSocket.</summary>
    public override IProtocol? BuildProtocol(EndPoint? address) => _site.BuildProtocol(address);
}
