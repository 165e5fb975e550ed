using System.Globalization;
using System.Net;
using System.Text;
using AsyncCore.Protocols;

namespace AsyncCore.Web;

/// <summary>
/// One HTTP request and its response (Twisted's <c>server.Request</c>): what the client sent (method, path, query
/// arguments, headers, body) and the means to answer (<see cref="ResponseCode"/>, <see cref="ResponseHeaders"/>,
/// <see cref="Write(ReadOnlySpan{byte})"/>, <see cref="Finish"/>).
/// </summary>
/// <remarks>
/// The status line and headers go out with the first write. A response whose length is not known by then (no
/// <c>Content-Length</c> header was set) is sent chunked to an HTTP/1.1 client and ended by closing the connection for
/// an HTTP/1.0 one. Once the client has gone away, writes and <see cref="Finish"/> do nothing and the Deferreds of
/// <see cref="NotifyFinish"/> have failed, so a render that finishes later can stop early.
/// </remarks>
public sealed class Request : IConsumer
{
    private readonly HttpChannel _channel;
    private List<Deferred<object?>>? _finishWaiters;
    private bool _chunked;
    private Dictionary<string, string>? _cookies;

    internal Request(HttpChannel channel, string method, string uri, string version, Headers headers, MemoryStream content)
    {
        _channel = channel;
        Method = method;
        Uri = uri;
        ClientVersion = version;
        RequestHeaders = headers;
        Content = content;
        var query = uri.IndexOf('?', StringComparison.Ordinal);
        Path = query < 0 ? uri : uri[..query];
        Args = ParseQuery(query < 0 ? "" : uri[(query + 1)..]);
        PostPath = [.. Path.Split('/').Skip(1).Select(Unescape)];
    }

    /// <summary>The method, as sent (methods are case-sensitive: <c>GET</c>, <c>POST</c>…).</summary>
    public string Method { get; }

    /// <summary>The request target as sent, query included.</summary>
    public string Uri { get; }

    /// <summary>The path part of <see cref="Uri"/>, still percent-encoded.</summary>
    public string Path { get; }

    /// <summary><c>HTTP/1.1</c> or <c>HTTP/1.0</c>.</summary>
    public string ClientVersion { get; }

    /// <summary>The query arguments, percent- and <c>+</c>-decoded as UTF-8; a name may have several values.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Args { get; }

    /// <summary>The header fields the client sent.</summary>
    public Headers RequestHeaders { get; }

    /// <summary>The request body (empty when there was none), positioned at its start.</summary>
    public Stream Content { get; }

    /// <summary>The path segments already walked by <see cref="Resource.GetChildForRequest"/> (decoded).</summary>
    public List<string> PrePath { get; } = [];

    /// <summary>The path segments still to walk (decoded); what a leaf resource is left with.</summary>
    public List<string> PostPath { get; }

    /// <summary>The client's address.</summary>
    public EndPoint? ClientAddress => _channel.TransportOrNullForRequest?.GetPeer();

    /// <summary>The status code to send; 200 unless set before the first write.</summary>
    public int ResponseCode { get; set; } = 200;

    /// <summary>The header fields to send; changes after the first write are not sent.</summary>
    public Headers ResponseHeaders { get; } = new();

    /// <summary>True once the status line and headers were written.</summary>
    public bool StartedWriting { get; private set; }

    /// <summary>True once <see cref="Finish"/> was called.</summary>
    public bool Finished { get; private set; }

    /// <summary>The bytes of response body written so far (status line, headers and chunk framing not counted), as the
    /// access log reports them (Twisted's <c>sentLength</c>).</summary>
    public long SentLength { get; private set; }

    /// <summary>True once the connection was lost before the response was finished.</summary>
    public bool ClientGone { get; private set; }

    /// <summary>The first value of a request header, or null.</summary>
    public string? GetHeader(string name) => RequestHeaders.Get(name);

    /// <summary>The first value of a query argument, or null.</summary>
    public string? GetArg(string name) => Args.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    /// <summary>The cookies the client sent (its <c>Cookie</c> fields), by name; a name sent twice keeps its first
    /// value. Values are as sent, without surrounding quotes (Twisted's <c>received_cookies</c>).</summary>
    public IReadOnlyDictionary<string, string> Cookies => _cookies ??= Web.Cookies.Parse(RequestHeaders.GetAll("Cookie"));

    /// <summary>The value of a cookie the client sent, or null.</summary>
    public string? GetCookie(string name) => Cookies.TryGetValue(name, out var value) ? value : null;

    /// <summary>
    /// Adds a <c>Set-Cookie</c> field to the response (Twisted's <c>addCookie</c>).
    /// </summary>
    /// <param name="name">A token.</param>
    /// <param name="value">Visible ASCII without spaces, <c>"</c>, <c>,</c>, <c>;</c> or <c>\</c> (optionally wrapped
    /// in double quotes): encode anything else, for example with <see cref="System.Uri.EscapeDataString(string)"/>.</param>
    /// <param name="expires">When the cookie expires (sent in UTC); a session cookie when null.</param>
    /// <param name="domain">The <c>Domain</c> attribute.</param>
    /// <param name="path">The <c>Path</c> attribute.</param>
    /// <param name="maxAge">The <c>Max-Age</c> attribute in whole seconds (wins over <paramref name="expires"/> in
    /// browsers); zero deletes the cookie.</param>
    /// <param name="secure">Sent over HTTPS only.</param>
    /// <param name="httpOnly">Hidden from scripts.</param>
    /// <param name="sameSite">The <c>SameSite</c> attribute; <see cref="SameSite.None"/> needs <paramref name="secure"/>.</param>
    /// <exception cref="ArgumentException">A name, value or attribute a browser would misread, or <c>SameSite=None</c>
    /// without <c>Secure</c>.</exception>
    /// <exception cref="InvalidOperationException">The headers were already sent.</exception>
    public void AddCookie(string name, string value, DateTimeOffset? expires = null, string? domain = null, string? path = null,
        TimeSpan? maxAge = null, bool secure = false, bool httpOnly = false, SameSite? sameSite = null)
    {
        var field = Web.Cookies.Format(name, value, expires, domain, path, maxAge, secure, httpOnly, sameSite);
        if (StartedWriting)
        {
            throw new InvalidOperationException("Request.AddCookie called after the headers were sent.");
        }
        ResponseHeaders.Add("Set-Cookie", field);
    }

    /// <summary>Sets a response header (replacing any of that name).</summary>
    public void SetHeader(string name, string value) => ResponseHeaders.Set(name, value);

    /// <summary>
    /// A Deferred that fires when the response is finished, or fails (with the connection's loss) when the client goes
    /// away first (Twisted's <c>notifyFinish</c>). Each call returns a new Deferred.
    /// </summary>
    public Deferred<object?> NotifyFinish()
    {
        var waiter = new Deferred<object?>();
        if (ClientGone)
        {
            waiter.Errback(new ConnectionLostException("The client went away before the response was finished."));
        }
        else if (Finished)
        {
            waiter.Callback(null);
        }
        else
        {
            (_finishWaiters ??= []).Add(waiter);
        }
        return waiter;
    }

    /// <summary>Writes text as UTF-8 to the response body.</summary>
    public void Write(string text) => Write(Encoding.UTF8.GetBytes(text ?? throw new ArgumentNullException(nameof(text))));

    /// <summary>Writes to the response body, sending the status line and headers first if not yet sent. Dropped once
    /// the client has gone away.</summary>
    /// <exception cref="InvalidOperationException">The request was already finished.</exception>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (ClientGone)
        {
            return;
        }
        if (Finished)
        {
            throw new InvalidOperationException("Request.Write called after Request.Finish.");
        }
        if (!StartedWriting)
        {
            WriteHead();
        }
        if (data.IsEmpty || !BodyAllowed)
        {
            return;
        }
        SentLength += data.Length;
        var transport = _channel.Transport;
        if (_chunked)
        {
            transport.Write(Encoding.ASCII.GetBytes(data.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"));
            transport.Write(data);
            transport.Write("\r\n"u8);
        }
        else
        {
            transport.Write(data);
        }
        _channel.WatchWrites();
    }

    /// <summary>Ends the response (sending the headers if nothing was written) and lets the connection go on to the
    /// next request. Does nothing once the client has gone away.</summary>
    /// <exception cref="InvalidOperationException">The request was already finished.</exception>
    public void Finish()
    {
        if (ClientGone)
        {
            return;
        }
        if (Finished)
        {
            throw new InvalidOperationException("Request.Finish called twice.");
        }
        if (!StartedWriting)
        {
            if (!ResponseHeaders.Contains("Content-Length") && !IsHead)
            {
                ResponseHeaders.Set("Content-Length", "0");
            }
            WriteHead();
        }
        if (_chunked)
        {
            _channel.Transport.Write("0\r\n\r\n"u8);
        }
        _channel.WatchWrites();
        Finished = true;
        var waiters = _finishWaiters;
        _finishWaiters = null;
        _channel.RequestFinished(this);
        foreach (var waiter in waiters ?? [])
        {
            waiter.Callback(null);
        }
    }

    /// <summary>
    /// Registers a producer of the response body with the connection (Twisted's <c>registerProducer</c>): the transport
    /// pauses a streaming one, or asks a pull one for more, as the client reads. Once the client has gone away the
    /// producer is stopped at once.
    /// </summary>
    public void RegisterProducer(IProducer producer, bool streaming)
    {
        ArgumentNullException.ThrowIfNull(producer);
        if (ClientGone)
        {
            producer.StopProducing();
            return;
        }
        _channel.Transport.RegisterProducer(producer, streaming);
        _channel.WatchWrites(producing: true);
    }

    /// <summary>Unregisters the producer of <see cref="RegisterProducer"/>; nothing once the client has gone away (the
    /// connection already forgot it).</summary>
    public void UnregisterProducer()
    {
        if (!ClientGone)
        {
            _channel.Transport.UnregisterProducer();
        }
    }

    /// <summary>Ends a response that cannot be completed: 500 if nothing was sent, else the connection is aborted;
    /// logged as a render failure.</summary>
    internal void Fail(Failure failure) => _channel.Fail(this, failure);

    /// <summary>
    /// Answers <c>101 Switching Protocols</c> with <see cref="ResponseHeaders"/> and hands the connection over to
    /// <paramref name="protocol"/> (an HTTP Upgrade, RFC 9110 7.8, as a WebSocket resource makes): it is attached to the
    /// connection's transport at once, gets every byte that follows this request (those already received included) and
    /// its loss. The request counts as finished; the connection serves no more HTTP.
    /// </summary>
    /// <exception cref="InvalidOperationException">The response was already started or finished.</exception>
    public void SwitchProtocols(IProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        if (StartedWriting || Finished)
        {
            throw new InvalidOperationException("Request.SwitchProtocols called after the response was started.");
        }
        if (ClientGone)
        {
            return;
        }
        ResponseCode = 101;
        Persistent = true;
        WriteHead();
        Finished = true;
        var waiters = _finishWaiters;
        _finishWaiters = null;
        _channel.SwitchProtocols(this, protocol);
        foreach (var waiter in waiters ?? [])
        {
            waiter.Callback(null);
        }
    }

    internal bool IsHead => Method == "HEAD";

    /// <summary>The Deferred a render method returned, while it has not fired.</summary>
    internal Deferred<byte[]>? PendingRender { get; set; }

    /// <summary>False once the connection must close after this response (HTTP/1.0 without a length, or asked).</summary>
    internal bool Persistent { get; set; }

    private bool BodyAllowed => !IsHead && ResponseCode is not (204 or 304) && ResponseCode >= 200;

    internal void ConnectionLost(Failure reason)
    {
        if (Finished || ClientGone)
        {
            return;
        }
        ClientGone = true;
        var waiters = _finishWaiters;
        _finishWaiters = null;
        foreach (var waiter in waiters ?? [])
        {
            waiter.Errback(reason);
        }
        // A render still to deliver its body is told too: its Deferred is cancelled, as the work has no one to go to.
        if (PendingRender is { Called: false } pending)
        {
            PendingRender = null;
            pending.Cancel();
        }
    }

    private void WriteHead()
    {
        StartedWriting = true;
        var headers = ResponseHeaders;
        if (!BodyAllowed && !IsHead)
        {
            headers.Remove("Content-Length");
        }
        else if (!headers.Contains("Content-Length") && !IsHead)
        {
            if (ClientVersion == "HTTP/1.1")
            {
                _chunked = true;
                headers.Set("Transfer-Encoding", "chunked");
            }
            else
            {
                // An HTTP/1.0 client learns where the body ends from the connection closing.
                Persistent = false;
            }
        }
        if (!Persistent)
        {
            headers.Set("Connection", "close");
        }
        else if (ClientVersion == "HTTP/1.0")
        {
            headers.Set("Connection", "keep-alive");
        }
        var head = new StringBuilder(256);
        head.Append(ClientVersion == "HTTP/1.0" ? "HTTP/1.0 " : "HTTP/1.1 ")
            .Append(ResponseCode.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(HttpChannel.ReasonPhrase(ResponseCode)).Append("\r\n");
        if (!headers.Contains("Date"))
        {
            head.Append("Date: ").Append(DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture)).Append("\r\n");
        }
        if (!headers.Contains("Server"))
        {
            head.Append("Server: AsyncCore\r\n");
        }
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value.ReplaceLineEndings(" ")).Append("\r\n");
        }
        head.Append("\r\n");
        _channel.Transport.Write(Encoding.Latin1.GetBytes(head.ToString()));
    }

    private static Dictionary<string, IReadOnlyList<string>> ParseQuery(string query)
    {
        var lists = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = DecodeForm(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : DecodeForm(pair[(equals + 1)..]);
            if (!lists.TryGetValue(name, out var values))
            {
                lists[name] = values = [];
            }
            values.Add(value);
        }
        return lists.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal);
    }

    private static string DecodeForm(string text) => WebUtility.UrlDecode(text);

    private static string Unescape(string segment) => System.Uri.UnescapeDataString(segment);
}
