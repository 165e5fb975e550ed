using System.Globalization;
using AsyncCore.Endpoints;
using AsyncCore.Transports;

namespace AsyncCore.WebSockets;

/// <summary>Connects a <see cref="WebSocketClientProtocol"/> to a <c>ws://</c> or <c>wss://</c> URL (Autobahn's <c>connectWS</c>).</summary>
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
        protocol.Prepare(uri, options, reactor);
        var network = reactor as INetworkReactor ?? throw new ArgumentException("The reactor cannot make TCP connections.", nameof(reactor));
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.IdnHost.Trim('[', ']') : uri.IdnHost;
        IStreamClientEndpoint endpoint = uri.Scheme == "wss"
            ? new HostnameEndpoint(network, host, uri.Port, tls: options.Tls ?? TlsClientOptions.ForHostname(host))
            : Endpoint.ClientFromString(reactor, "tcp:host=" + Endpoint.QuoteStringArgument(host) + ":port=" + uri.Port.ToString(CultureInfo.InvariantCulture));
        var result = new Deferred<TProtocol>();
        Endpoint.ConnectProtocol(endpoint, protocol).AddBoth(connected =>
        {
            if (connected.Failure is { } failure)
            {
                result.Errback(failure);
                return true;
            }
            protocol.WhenOpen.AddBoth(opened =>
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
