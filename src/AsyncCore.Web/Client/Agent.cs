using System.Globalization;
using System.Text;
using AsyncCore.Endpoints;
using AsyncCore.Transports;

namespace AsyncCore.Web.Client;

/// <summary>
/// An HTTP/1.1 client (Twisted's <c>twisted.web.client.Agent</c>): <see cref="Request"/> sends a request to an
/// <c>http</c> or <c>https</c> URL over a connection from its <see cref="HttpConnectionPool"/> and fires with the
/// <see cref="HttpResponse"/> once its header fields are in; the body follows (<see cref="HttpResponse.ReadBody"/>,
/// <see cref="HttpResponse.DeliverBody"/>). Use it on the reactor thread.
/// </summary>
/// <example>
/// <code>
/// var agent = new Agent(reactor);
/// var response = await agent.Get("https://example.org/");
/// var text = await response.ReadBodyText();
/// </code>
/// </example>
/// <remarks>
/// Cancelling the request's Deferred stops connecting or closes the connection. Unlike Twisted's <c>Agent</c>, whose
/// default pool is not persistent, an agent made without a pool keeps connections alive in a pool of its own.
/// </remarks>
public sealed class Agent
{
    private static readonly string[] s_credentials = ["Authorization", "Proxy-Authorization", "Cookie"];

    private readonly INetworkReactor _reactor;

    /// <summary>Creates the agent.</summary>
    /// <param name="reactor">The reactor.</param>
    /// <param name="pool">The connection pool (shared between agents as wished); a persistent pool of its own when null.</param>
    /// <param name="options">The settings; defaults when null.</param>
    public Agent(INetworkReactor reactor, HttpConnectionPool? pool = null, AgentOptions? options = null)
    {
        _reactor = reactor ?? throw new ArgumentNullException(nameof(reactor));
        Pool = pool ?? new HttpConnectionPool(reactor);
        Options = options ?? new AgentOptions();
    }

    /// <summary>The connection pool.</summary>
    public HttpConnectionPool Pool { get; }

    /// <summary>The settings.</summary>
    public AgentOptions Options { get; }

    /// <summary>Sends a GET request.</summary>
    public Deferred<HttpResponse> Get(string url, Headers? headers = null) => Request("GET", url, headers);

    /// <summary>Sends a POST request with <paramref name="body"/> as <paramref name="contentType"/>.</summary>
    public Deferred<HttpResponse> Post(string url, byte[] body, string contentType = "application/octet-stream", Headers? headers = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var fields = Copy(headers);
        fields.Set("Content-Type", contentType);
        return Request("POST", url, fields, body);
    }

    /// <summary>
    /// Sends a request (Twisted's <c>Agent.request</c>). The Deferred fires with the response when its status line
    /// and header fields are in (whatever the status code), or fails: with the connection's error (for example a
    /// <see cref="Protocols.ConnectionRefusedException"/>), a <see cref="ResponseFailedException"/>, or a
    /// <see cref="TooManyRedirectsException"/>.
    /// </summary>
    /// <param name="method">The method, for example <c>GET</c>.</param>
    /// <param name="url">An absolute <c>http://</c> or <c>https://</c> URL.</param>
    /// <param name="headers">Header fields to send; <c>Host</c> and <c>Content-Length</c> are added.</param>
    /// <param name="body">The body, sent with its <c>Content-Length</c>; null for none.</param>
    /// <exception cref="ArgumentException">The method is not a token, the URL not an http(s) URL, or a header field
    /// is malformed.</exception>
    public Deferred<HttpResponse> Request(string method, string url, Headers? headers = null, byte[]? body = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!HttpWire.IsToken(method))
        {
            throw new ArgumentException($"'{method}' is not an HTTP method.", nameof(method));
        }
        var uri = ParseUrl(url, nameof(url));
        foreach (var (name, value) in headers ?? [])
        {
            if (!HttpWire.IsToken(name) || value.Any(c => c is '\r' or '\n' or '\0'))
            {
                throw new ArgumentException($"Header field '{name}' cannot be sent.", nameof(headers));
            }
        }
        return Options.MaxRedirects > 0
            ? Follow(method, uri, Copy(headers), body, Options.MaxRedirects, previous: null)
            : Once(method, uri, Copy(headers), body);
    }

    private Deferred<HttpResponse> Follow(string method, Uri uri, Headers headers, byte[]? body, int left, HttpResponse? previous) =>
        Once(method, uri, headers, body).AddCallback(response =>
        {
            response.PreviousResponse = previous;
            var location = response.Headers.Get("Location");
            if (response.Code is not (301 or 302 or 303 or 307 or 308) || location is null
                || !Uri.TryCreate(uri, location, out var next) || next.Scheme is not ("http" or "https"))
            {
                return Deferred.Succeed(response);
            }
            if (left == 0)
            {
                response.DiscardBody();
                return Deferred.Fail<HttpResponse>(new TooManyRedirectsException(response));
            }
            var nextMethod = method;
            var nextBody = body;
            var nextHeaders = Copy(headers);
            if ((response.Code == 303 && method != "HEAD") || (response.Code is 301 or 302 && method == "POST"))
            {
                nextMethod = "GET";
                nextBody = null;
                nextHeaders.Remove("Content-Type");
            }
            if (!string.Equals(uri.GetLeftPart(UriPartial.Authority), next.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
            {
                foreach (var name in s_credentials)
                {
                    nextHeaders.Remove(name);
                }
            }
            // The redirect's body is read first, so its connection is back in the pool for the next request.
            return response.DiscardBody().AddCallbacks(
                _ => Follow(nextMethod, next, nextHeaders, nextBody, left - 1, response),
                _ => Follow(nextMethod, next, nextHeaders, nextBody, left - 1, response));
        });

    private Deferred<HttpResponse> Once(string method, Uri uri, Headers headers, byte[]? body)
    {
        var key = new PoolKey(uri.Scheme, uri.IdnHost, uri.Port);
        var head = Serialize(method, uri, headers, body, Pool.Persistent);
        Deferred<HttpClientConnection>? connecting = null;
        Deferred<HttpResponse>? sending = null;
        var result = new Deferred<HttpResponse>(_ =>
        {
            connecting?.Cancel();
            sending?.Cancel();
        });
        var mayRetry = Pool.RetryAutomatically && body is null && method is "GET" or "HEAD" or "OPTIONS" or "TRACE" or "PUT" or "DELETE";
        Attempt();
        return result;

        void Attempt()
        {
            var attempt = connecting = Pool.GetConnection(key, () => EndpointFor(uri), Options.ReadTimeout);
            attempt.AddBoth(connected =>
            {
                connecting = null;
                if (connected.Failure is { } failure)
                {
                    if (!result.Called)
                    {
                        result.Errback(failure);
                    }
                    return true;
                }
                var connection = connected.Value;
                if (result.Called)
                {
                    connection.Abort(); // Cancelled while connecting: the connection is not wanted.
                    return true;
                }
                var reused = connection.Reused;
                var send = sending = connection.Send(method, uri, head, body, Pool.Persistent);
                send.AddBoth(answered =>
                {
                    sending = null;
                    if (result.Called)
                    {
                        return true;
                    }
                    if (answered.Failure is { } sendFailure)
                    {
                        if (mayRetry && reused && sendFailure.Value is ResponseNeverReceivedException)
                        {
                            mayRetry = false;
                            Attempt();
                        }
                        else
                        {
                            result.Errback(sendFailure);
                        }
                    }
                    else
                    {
                        result.Callback(answered.Value);
                    }
                    return true;
                });
                return true;
            });
        }
    }

    private IStreamClientEndpoint EndpointFor(Uri uri)
    {
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.IdnHost.Trim('[', ']') : uri.IdnHost;
        TlsClientOptions? tls = null;
        if (uri.Scheme == "https")
        {
            tls = Options.TlsPolicy?.Invoke(host, uri.Port) ?? TlsClientOptions.ForHostname(host);
        }
        return new HostnameEndpoint(_reactor, host, uri.Port, Options.ConnectTimeout, tls: tls);
    }

    private static byte[] Serialize(string method, Uri uri, Headers headers, byte[]? body, bool persistent)
    {
        var head = new StringBuilder(256);
        head.Append(method).Append(' ').Append(uri.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped)).Append(" HTTP/1.1\r\n");
        if (!headers.Contains("Host"))
        {
            head.Append("Host: ").Append(uri.IdnHost);
            if (!uri.IsDefaultPort)
            {
                head.Append(':').Append(uri.Port.ToString(CultureInfo.InvariantCulture));
            }
            head.Append("\r\n");
        }
        foreach (var (name, value) in headers)
        {
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                || (!persistent && name.Equals("Connection", StringComparison.OrdinalIgnoreCase)))
            {
                continue; // The agent frames the body and owns the connection.
            }
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        if (body is not null)
        {
            head.Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }
        else if (method is "POST" or "PUT" or "PATCH")
        {
            head.Append("Content-Length: 0\r\n"); // RFC 9110 8.6: a method that expects a body says it has none.
        }
        if (!persistent)
        {
            head.Append("Connection: close\r\n");
        }
        head.Append("\r\n");
        return Encoding.Latin1.GetBytes(head.ToString());
    }

    private static Headers Copy(Headers? headers)
    {
        var copy = new Headers();
        foreach (var (name, value) in headers ?? [])
        {
            copy.Add(name, value);
        }
        return copy;
    }

    private static Uri ParseUrl(string url, string parameter)
    {
        ArgumentNullException.ThrowIfNull(url, parameter);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            throw new ArgumentException($"'{url}' is not an http:// or https:// URL.", parameter);
        }
        return uri;
    }
}
