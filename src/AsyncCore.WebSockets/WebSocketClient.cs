using System.Globalization;
using AsyncCore.Endpoints;
using AsyncCore.Transports;

namespace AsyncCore.WebSockets;

/// <summary>
/// Connects a <see cref="WebSocketClientProtocol"/> to a <c>ws://</c> or <c>wss://</c> URL (Autobahn's <c>connectWS</c>),
/// over an endpoint of your choosing, or prepares it for a connection made elsewhere (an in-memory
/// <see cref="AsyncCore.InMemory.Loopback"/> in tests).
/// </summary>
public static class WebSocketClient
{
    /// <summary>
    /// Connects <paramref name="protocol"/> to <paramref name="url"/> (TCP for <c>ws://</c>, TLS for <c>wss://</c>, which
    /// verifies the server unless <see cref="WebSocketClientOptions.Tls"/> says otherwise) and runs the opening handshake.
    /// The Deferred fires with the protocol once it is open (after its <see cref="WebSocketProtocol.OnOpen"/>), or
    /// fails with the connection's error or a <see cref="WebSocketHandshakeException"/>.
    /// </summary>
    /// <param name="reactor">The reactor (a network reactor with time).</param>
    /// <param name="url">A <c>ws://host[:port]/path?query</c> or <c>wss://…</c> URL.</param>
    /// <param name="protocol">The protocol to connect.</param>
    /// <param name="options">The settings; defaults when null.</param>
    /// <exception cref="ArgumentException">The URL is not a ws:// or wss:// URL, or the reactor cannot connect.</exception>
    public static Deferred<TProtocol> Connect<TProtocol>(IReactorTime reactor, string url, TProtocol protocol, WebSocketClientOptions? options = null)
        where TProtocol : WebSocketClientProtocol
    {
        ArgumentNullException.ThrowIfNull(reactor);
        ArgumentNullException.ThrowIfNull(protocol);
        var uri = ParseUrl(url);
        options ??= new WebSocketClientOptions();
        var network = reactor as INetworkReactor ?? throw new ArgumentException("The reactor cannot make TCP connections.", nameof(reactor));
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.IdnHost.Trim('[', ']') : uri.IdnHost;
        IStreamClientEndpoint endpoint = uri.Scheme == "wss"
            ? new HostnameEndpoint(network, host, uri.Port, tls: options.Tls ?? TlsClientOptions.ForHostname(host))
            : Endpoint.ClientFromString(reactor, "tcp:host=" + Endpoint.QuoteStringArgument(host) + ":port=" + uri.Port.ToString(CultureInfo.InvariantCulture));
        return Connect(endpoint, uri, protocol, options, reactor);
    }

    /// <summary>
    /// Connects <paramref name="protocol"/> over <paramref name="endpoint"/> (any stream endpoint: a Unix socket, a
    /// tunnel, TLS set up your way) and runs the opening handshake for <paramref name="url"/>, whose host, path and
    /// query go into the request; the connection itself is the endpoint's. Fires as
    /// <see cref="Connect{TProtocol}(IReactorTime, string, TProtocol, WebSocketClientOptions?)"/> does.
    /// </summary>
    /// <param name="endpoint">Where to connect.</param>
    /// <param name="url">The <c>ws://</c> or <c>wss://</c> URL the request names.</param>
    /// <param name="protocol">The protocol to connect.</param>
    /// <param name="options">The settings (null: defaults); <see cref="WebSocketClientOptions.Tls"/> is not used.</param>
    /// <param name="clock">Times the handshake, the close handshake and keep-alive pings; null: no timeouts.</param>
    /// <exception cref="ArgumentException">The URL is not a ws:// or wss:// URL.</exception>
    public static Deferred<TProtocol> ConnectOver<TProtocol>(IStreamClientEndpoint endpoint, string url, TProtocol protocol, WebSocketClientOptions? options = null, IReactorTime? clock = null)
        where TProtocol : WebSocketClientProtocol
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(protocol);
        return Connect(endpoint, ParseUrl(url), protocol, options ?? new WebSocketClientOptions(), clock);
    }

    /// <summary>
    /// Prepares <paramref name="protocol"/> for a connection made by other means, such as
    /// <c>Loopback.Connect(serverFactory.BuildProtocol(null), protocol)</c> in a test without sockets: once its transport
    /// is attached it sends the opening handshake for <paramref name="url"/>. The Deferred fires with the protocol once
    /// it is open, or fails when the handshake does (a <see cref="WebSocketHandshakeException"/>).
    /// </summary>
    /// <param name="protocol">The protocol, not yet connected.</param>
    /// <param name="url">The <c>ws://</c> or <c>wss://</c> URL the request names.</param>
    /// <param name="options">The settings; defaults when null.</param>
    /// <param name="clock">Times the handshake, the close handshake and keep-alive pings (a test's clock); null: no timeouts.</param>
    /// <exception cref="ArgumentException">The URL is not a ws:// or wss:// URL.</exception>
    /// <exception cref="InvalidOperationException">The protocol is already connected.</exception>
    public static Deferred<TProtocol> Prepare<TProtocol>(TProtocol protocol, string url, WebSocketClientOptions? options = null, IReactorTime? clock = null)
        where TProtocol : WebSocketClientProtocol
    {
        ArgumentNullException.ThrowIfNull(protocol);
        var uri = ParseUrl(url);
        if (protocol.IsConnected)
        {
            throw new InvalidOperationException("Prepare the protocol before it is connected.");
        }
        protocol.Prepare(uri, options ?? new WebSocketClientOptions(), clock);
        return WhenOpen(protocol);
    }

    private static Deferred<TProtocol> Connect<TProtocol>(IStreamClientEndpoint endpoint, Uri uri, TProtocol protocol, WebSocketClientOptions options, IReactorTime? clock)
        where TProtocol : WebSocketClientProtocol
    {
        protocol.Prepare(uri, options, clock);
        var result = new Deferred<TProtocol>();
        Endpoint.ConnectProtocol(endpoint, protocol).AddBoth(connected =>
        {
            if (connected.Failure is { } failure)
            {
                result.Errback(failure);
                return true;
            }
            WhenOpen(protocol).AddBoth(opened =>
            {
                if (opened.Failure is { } handshakeFailure)
                {
                    result.Errback(handshakeFailure);
                }
                else
                {
                    result.Callback(protocol);
                }
                return true;
            });
            return true;
        });
        return result;
    }

    private static Deferred<TProtocol> WhenOpen<TProtocol>(TProtocol protocol)
        where TProtocol : WebSocketClientProtocol
    {
        var result = new Deferred<TProtocol>();
        protocol.WhenOpen.AddBoth(opened =>
        {
            if (opened.Failure is { } failure)
            {
                result.Errback(failure);
            }
            else
            {
                result.Callback(protocol);
            }
            return true;
        });
        return result;
    }

    internal static Uri ParseUrl(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss") || uri.Host.Length == 0)
        {
            throw new ArgumentException($"'{url}' is not a ws:// or wss:// URL.", nameof(url));
        }
        if (uri.Fragment.Length > 0)
        {
            throw new ArgumentException("A WebSocket URL has no fragment (RFC 6455 3).", nameof(url));
        }
        return uri;
    }
}
