namespace AsyncCore.WebSockets;

/// <summary>
/// The server end of a WebSocket connection (Autobahn's <c>WebSocketServerProtocol</c>). A
/// <see cref="WebSocketResource"/> (or a <see cref="WebSocketServerFactory"/> listening on its own) builds one per
/// connection, checks the opening handshake, asks <see cref="OnConnect"/> and then opens it.
/// </summary>
public abstract class WebSocketServerProtocol : WebSocketProtocol
{
    /// <summary>The opening handshake, once <see cref="OnConnect"/> was called.</summary>
    public WebSocketConnectionRequest? Request { get; private set; }

    /// <summary>The factory that built this protocol.</summary>
    public WebSocketServerFactory? ServerFactory { get; private set; }

    private protected override bool IsServer => true;

    /// <summary>
    /// Accepts or refuses a valid opening handshake before it is answered. Return the subprotocol to use (one the client
    /// offered) or null for none; throw <see cref="ConnectionDeniedException"/> to refuse with an HTTP status. Header
    /// fields set on <see cref="WebSocketConnectionRequest.ResponseHeaders"/> go into the answer. To decide later (a
    /// database lookup, say), override <see cref="OnConnectAsync"/> instead. By default
    /// picks the first subprotocol the client offers that is in <see cref="WebSocketServerOptions.Protocols"/>.
    /// </summary>
    protected virtual string? OnConnect(WebSocketConnectionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var own = ServerFactory?.Options.Protocols ?? [];
        return request.Protocols.FirstOrDefault(p => own.Contains(p, StringComparer.Ordinal));
    }

    /// <summary>
    /// Accepts or refuses a valid opening handshake, possibly later (Autobahn's <c>onConnect</c> returning a Deferred):
    /// fire with the subprotocol to use (or null), or fail with <see cref="ConnectionDeniedException"/> to refuse with
    /// its HTTP status. The handshake is answered when the Deferred fires; if the client goes away first, the Deferred
    /// is cancelled and <see cref="WebSocketProtocol.OnClose"/> is called. Header fields set on
    /// <see cref="WebSocketConnectionRequest.ResponseHeaders"/> until then go into the answer (the 101, or the refusal).
    /// By default calls <see cref="OnConnect"/>.
    /// </summary>
    protected virtual Deferred<string?> OnConnectAsync(WebSocketConnectionRequest request) => Deferred.MaybeDeferred(() => OnConnect(request));

    internal Deferred<string?> Connect(WebSocketServerFactory factory, WebSocketConnectionRequest request)
    {
        ServerFactory = factory;
        Configure(factory.Options, factory.Clock);
        Request = request;
        return OnConnectAsync(request);
    }

    internal void Accept(string? subprotocol, PerMessageDeflate? deflate)
    {
        Subprotocol = subprotocol;
        SetDeflate(deflate);
    }

    /// <summary>The handshake was refused after <see cref="OnConnect"/> ran: the protocol still hears of its end.</summary>
    internal void Refused(string reason) => ReportClose(false, WebSocketCloseCode.Abnormal, reason);

    private protected override void TransportAttached() => Open([]);
}
