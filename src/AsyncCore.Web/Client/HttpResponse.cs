using System.Text;

namespace AsyncCore.Web.Client;

/// <summary>
/// A response to an <see cref="Agent"/> request (Twisted's <c>twisted.web.client.Response</c>): the status line and
/// header fields are here when the request's Deferred fires; the body follows, read whole with <see cref="ReadBody"/>
/// or <see cref="ReadBodyText"/> (Twisted's <c>readBody</c>) or streamed with <see cref="DeliverBody"/>. Use it on the
/// reactor thread.
/// </summary>
/// <remarks>
/// The body can be taken once. Until it is, arriving bytes are kept, and past 64 KiB the connection stops reading
/// (the server is held back by TCP), so a response whose body is never taken keeps its connection busy; read or
/// discard every body. The connection goes back to the pool once the body has arrived.
/// </remarks>
public sealed class HttpResponse
{
    private const int EarlyLimit = 64 * 1024;

    private readonly HttpClientConnection? _connection;
    private List<byte[]>? _early;
    private long _earlyBytes;
    private Action<ReadOnlyMemory<byte>>? _consumer;
    private Deferred<long>? _done;
    private bool _taken;
    private bool _ended;
    private Failure? _endFailure;
    private long _received;

    internal HttpResponse(string version, int code, string phrase, Headers headers, string method, Uri requestUri, long? length,
        HttpClientConnection? connection)
    {
        Version = version;
        Code = code;
        Phrase = phrase;
        Headers = headers;
        RequestMethod = method;
        RequestUri = requestUri;
        Length = length;
        _connection = connection;
    }

    /// <summary>The protocol version of the status line, <c>HTTP/1.1</c> or <c>HTTP/1.0</c>.</summary>
    public string Version { get; }

    /// <summary>The status code.</summary>
    public int Code { get; }

    /// <summary>The reason phrase (may be empty).</summary>
    public string Phrase { get; }

    /// <summary>The header fields.</summary>
    public Headers Headers { get; }

    /// <summary>The body's length from <c>Content-Length</c> (0 for HEAD, 204 and 304), or null when it is chunked or
    /// ends with the connection (Twisted's <c>UNKNOWN_LENGTH</c>).</summary>
    public long? Length { get; }

    /// <summary>The method of the request this answers.</summary>
    public string RequestMethod { get; }

    /// <summary>The URL of the request this answers (after redirects, the last one).</summary>
    public Uri RequestUri { get; }

    /// <summary>The redirect response that led to this request when redirects are followed, or null.</summary>
    public HttpResponse? PreviousResponse { get; internal set; }

    /// <summary>
    /// Streams the body: <paramref name="onData"/> gets each piece as it arrives (the memory is valid only during the
    /// call). The Deferred fires with the body's length in bytes once it has ended, or fails with a
    /// <see cref="ResponseFailedException"/> when the connection ends early or times out; cancelling it closes the
    /// connection. Twisted's <c>deliverBody</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The body was already taken.</exception>
    public Deferred<long> DeliverBody(Action<ReadOnlyMemory<byte>> onData)
    {
        ArgumentNullException.ThrowIfNull(onData);
        if (_taken)
        {
            throw new InvalidOperationException("The response body can be read once.");
        }
        _taken = true;
        var done = _done = new Deferred<long>(_ => _connection?.AbortForResponse(this));
        if (_early is { } early)
        {
            _early = null;
            foreach (var piece in early)
            {
                onData(piece);
            }
        }
        if (_ended)
        {
            Complete(done);
            return done;
        }
        _consumer = onData;
        if (_earlyBytes > EarlyLimit)
        {
            _connection?.ResumeReadingFor(this);
        }
        _earlyBytes = 0;
        return done;
    }

    /// <summary>The whole body (Twisted's <c>readBody</c>); fails as <see cref="DeliverBody"/> does.</summary>
    public Deferred<byte[]> ReadBody()
    {
        var body = new MemoryStream();
        return DeliverBody(piece => body.Write(piece.Span)).AddCallback(_ => body.ToArray());
    }

    /// <summary>The whole body as text, decoded with the <c>charset</c> of <c>Content-Type</c> when it names one .NET
    /// knows, else as UTF-8.</summary>
    public Deferred<string> ReadBodyText() => ReadBody().AddCallback(bytes => CharsetOf(Headers.Get("Content-Type")).GetString(bytes));

    /// <summary>Takes the body and drops it, so the connection can go back to the pool.</summary>
    public Deferred<long> DiscardBody() => DeliverBody(static _ => { });

    internal void BodyReceived(ReadOnlyMemory<byte> data)
    {
        _received += data.Length;
        if (_consumer is { } consumer)
        {
            consumer(data);
            return;
        }
        (_early ??= []).Add(data.ToArray());
        _earlyBytes += data.Length;
        if (_earlyBytes > EarlyLimit && _earlyBytes - data.Length <= EarlyLimit)
        {
            _connection?.PauseReadingFor(this);
        }
    }

    internal void BodyEnded(Failure? failure)
    {
        if (_ended)
        {
            return;
        }
        _ended = true;
        _endFailure = failure;
        _consumer = null;
        if (_done is { } done)
        {
            Complete(done);
        }
    }

    private void Complete(Deferred<long> done)
    {
        if (done.Called)
        {
            return; // cancelled
        }
        if (_endFailure is { } failure)
        {
            done.Errback(failure);
        }
        else
        {
            done.Callback(_received);
        }
    }

    private static Encoding CharsetOf(string? contentType)
    {
        if (contentType is null)
        {
            return Encoding.UTF8;
        }
        foreach (var parameter in contentType.Split(';').Skip(1))
        {
            var pair = parameter.Split('=', 2);
            if (pair.Length == 2 && pair[0].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    return Encoding.GetEncoding(pair[1].Trim().Trim('"'));
                }
                catch (ArgumentException)
                {
                    return Encoding.UTF8;
                }
            }
        }
        return Encoding.UTF8;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Version} {Code} {Phrase} ({RequestMethod} {RequestUri})";
}
