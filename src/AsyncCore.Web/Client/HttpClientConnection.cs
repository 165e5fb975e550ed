using System.Globalization;
using System.Text;
using AsyncCore.Protocols;

namespace AsyncCore.Web.Client;

/// <summary>
/// The client side of one HTTP/1.1 connection (Twisted's <c>HTTP11ClientProtocol</c>): sends one request at a time,
/// parses the response with the server's grammar (<see cref="HttpWire"/>) and hands its body to the
/// <see cref="HttpResponse"/>; when the response allows it the connection goes back to its
/// <see cref="HttpConnectionPool"/>.
/// </summary>
/// <remarks>
/// Where the body ends follows RFC 9112 6.3: nothing after HEAD, 1xx, 204 and 304; chunked when the last transfer
/// coding is chunked; <c>Content-Length</c> bytes; otherwise at the connection's end. Interim 1xx responses are skipped.
/// </remarks>
internal sealed class HttpClientConnection : Protocol
{
    private const int MaxStatusLine = 8 * 1024;
    private const int MaxHeaderBytes = 64 * 1024;

    private enum State
    {
        Idle,
        StatusLine,
        Headers,
        Body,
        ChunkSize,
        ChunkData,
        ChunkEnd,
        Trailers,
        UntilClose,
        Closed,
    }

    private readonly IReactorTime _clock;
    private readonly TimeSpan? _readTimeout;
    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;
    private State _state = State.Idle;
    private Deferred<HttpResponse>? _pending;
    private HttpResponse? _response;
    private string _method = "";
    private Uri? _uri;
    private bool _requestPersistent;
    private bool _persistent;
    private bool _responseStarted;
    private bool _parsing;
    private bool _readingPaused;
    private bool _timedOut;
    private string _version = "";
    private int _code;
    private string _phrase = "";
    private Headers _headers = new();
    private int _headerBytes;
    private long _remaining;
    private IDelayedCall? _timer;

    public HttpClientConnection(IReactorTime clock, HttpConnectionPool pool, PoolKey key, TimeSpan? readTimeout)
    {
        _clock = clock;
        Pool = pool;
        Key = key;
        _readTimeout = readTimeout;
    }

    /// <summary>The pool that made the connection.</summary>
    public HttpConnectionPool Pool { get; }

    /// <summary>Where the connection goes.</summary>
    public PoolKey Key { get; }

    /// <summary>True once the connection has been taken from the pool's idle connections at least once.</summary>
    public bool Reused { get; set; }

    /// <summary>The timer that closes the connection when it stays idle in the pool.</summary>
    public IDelayedCall? ExpiryTimer { get; set; }

    /// <summary>True while the connection is open and answers nothing: it can take a request.</summary>
    public bool IsIdle => _state == State.Idle && HasTransport && !Transport.Disconnecting;

    /// <summary>
    /// Sends a request already serialized into <paramref name="head"/> and <paramref name="body"/>. The Deferred fires
    /// with the response when its headers are in; cancelling it closes the connection.
    /// </summary>
    public Deferred<HttpResponse> Send(string method, Uri uri, byte[] head, byte[]? body, bool persistent)
    {
        if (!IsIdle)
        {
            throw new InvalidOperationException("The connection is busy or closed.");
        }
        _method = method;
        _uri = uri;
        _requestPersistent = persistent;
        _responseStarted = false;
        _state = State.StatusLine;
        var pending = _pending = new Deferred<HttpResponse>(_ => Abort());
        if (body is { Length: > 0 })
        {
            Transport.WriteSequence([head, body]);
        }
        else
        {
            Transport.Write(head);
        }
        RestartTimer();
        return pending;
    }

    public override void DataReceived(ReadOnlySpan<byte> data)
    {
        if (_state == State.Closed)
        {
            return;
        }
        if (_state == State.Idle)
        {
            // Nothing was asked: bytes now are a broken server; the connection cannot be trusted with a request.
            _state = State.Closed;
            Transport.AbortConnection();
            return;
        }
        _responseStarted = true;
        Append(data);
        RestartTimer();
        Parse();
    }

    public override void ConnectionLost(Failure reason)
    {
        var state = _state;
        _state = State.Closed;
        StopTimer();
        Pool.ConnectionGone(this); // First, so the callbacks below see the pool without it.
        var cause = _timedOut ? new TimeoutException($"No data from the server for {_readTimeout?.TotalSeconds:0.###} s.") : reason.Value;
        if (_pending is { } pending)
        {
            _pending = null;
            if (!pending.Called)
            {
                pending.Errback(_responseStarted
                    ? new ResponseFailedException("The connection ended before the response's header fields did.", cause)
                    : new ResponseNeverReceivedException("The connection ended before any response arrived.", cause));
            }
        }
        else if (_response is { } response)
        {
            _response = null;
            if (state == State.UntilClose && !_timedOut)
            {
                response.BodyEnded(null); // The body was delimited by the connection's end (RFC 9112 6.3 item 8).
            }
            else
            {
                response.BodyEnded(new Failure(new ResponseFailedException(
                    state == State.Body
                        ? string.Create(CultureInfo.InvariantCulture, $"The connection ended {_remaining} bytes before the end of the response body.")
                        : "The connection ended inside the chunked response body.",
                    cause)));
            }
        }
        base.ConnectionLost(reason);
    }

    /// <summary>Closes the connection now (a cancelled request or body).</summary>
    public void Abort()
    {
        if (HasTransport)
        {
            Transport.AbortConnection();
        }
    }

    internal void AbortForResponse(HttpResponse response)
    {
        if (ReferenceEquals(response, _response))
        {
            Abort();
        }
    }

    internal void PauseReadingFor(HttpResponse response)
    {
        if (ReferenceEquals(response, _response) && !_readingPaused && HasTransport)
        {
            _readingPaused = true;
            StopTimer(); // The reader owns the time while it does not take the body.
            Transport.PauseProducing();
        }
    }

    internal void ResumeReadingFor(HttpResponse response)
    {
        if (ReferenceEquals(response, _response) && _readingPaused && HasTransport)
        {
            _readingPaused = false;
            RestartTimer();
            Transport.ResumeProducing();
        }
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        if (_buffer.Length - _end < data.Length)
        {
            var used = _end - _start;
            var target = _buffer.Length < used + data.Length ? new byte[Math.Max(_buffer.Length * 2, used + data.Length)] : _buffer;
            _buffer.AsSpan(_start, used).CopyTo(target);
            _buffer = target;
            _start = 0;
            _end = used;
        }
        data.CopyTo(_buffer.AsSpan(_end));
        _end += data.Length;
    }

    private void Parse()
    {
        if (_parsing)
        {
            return;
        }
        _parsing = true;
        try
        {
            while (Step())
            {
            }
        }
        finally
        {
            _parsing = false;
        }
    }

    private bool Step()
    {
        switch (_state)
        {
            case State.StatusLine:
                return TryLine(MaxStatusLine, out var statusLine) && StatusLine(statusLine);
            case State.Headers:
            case State.Trailers:
            {
                if (!TryLine(MaxHeaderBytes - _headerBytes, out var line))
                {
                    return false;
                }
                _headerBytes += line.Length + 2;
                if (line.IsEmpty)
                {
                    return _state == State.Headers ? HeadersDone() : BodyDone();
                }
                if (HttpWire.ParseHeaderLine(line, out var name, out var value) is { } malformed)
                {
                    return Broken(malformed);
                }
                if (_state == State.Headers)
                {
                    _headers.Add(name, Encoding.Latin1.GetString(value));
                }
                return true;
            }
            case State.Body:
            case State.ChunkData:
            {
                var take = (int)Math.Min(_remaining, _end - _start);
                if (take == 0 && _remaining > 0)
                {
                    return false;
                }
                var piece = _buffer.AsMemory(_start, take);
                _start += take;
                _remaining -= take;
                if (take > 0)
                {
                    _response?.BodyReceived(piece);
                }
                if (_remaining > 0 || _state == State.Closed)
                {
                    return false;
                }
                if (_state == State.Body)
                {
                    return BodyDone();
                }
                _state = State.ChunkEnd;
                return true;
            }
            case State.ChunkSize:
            {
                if (!TryLine(1024, out var line))
                {
                    return false;
                }
                if (!HttpWire.TryParseChunkSize(line, out var size))
                {
                    return Broken("Bad chunk size in the response");
                }
                _remaining = size;
                _state = size == 0 ? State.Trailers : State.ChunkData;
                return true;
            }
            case State.ChunkEnd:
            {
                if (_end - _start < 2)
                {
                    return false;
                }
                if (_buffer[_start] != '\r' || _buffer[_start + 1] != '\n')
                {
                    return Broken("Chunk data not followed by CRLF in the response");
                }
                _start += 2;
                _state = State.ChunkSize;
                return true;
            }
            case State.UntilClose:
            {
                if (_end > _start)
                {
                    var piece = _buffer.AsMemory(_start, _end - _start);
                    _start = _end;
                    _response?.BodyReceived(piece);
                }
                return false;
            }
            default:
                return false;
        }
    }

    private bool TryLine(int limit, out ReadOnlySpan<byte> line)
    {
        switch (HttpWire.TryLine(_buffer.AsSpan(_start, _end - _start), Math.Max(limit, 0), out line, out var consumed))
        {
            case LineResult.Line:
                _start += consumed;
                return true;
            case LineResult.TooLong:
                return Broken("Response line or header fields too long");
            case LineResult.BareCr:
                return Broken("Bare CR in the response");
            default:
                return false;
        }
    }

    private bool StatusLine(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty)
        {
            return true; // Leniency as for request lines (RFC 9112 2.2).
        }
        // HTTP-version SP 3DIGIT SP [reason-phrase] (RFC 9112 4); a missing space after the code is tolerated.
        if (line.Length < 12 || !(line.StartsWith("HTTP/1.1 "u8) || line.StartsWith("HTTP/1.0 "u8))
            || !char.IsAsciiDigit((char)line[9]) || !char.IsAsciiDigit((char)line[10]) || !char.IsAsciiDigit((char)line[11])
            || (line.Length > 12 && line[12] != ' '))
        {
            return Broken("Malformed status line: " + Encoding.Latin1.GetString(line[..Math.Min(line.Length, 64)]));
        }
        _version = line[..8].SequenceEqual("HTTP/1.1"u8) ? "HTTP/1.1" : "HTTP/1.0";
        _code = ((line[9] - '0') * 100) + ((line[10] - '0') * 10) + (line[11] - '0');
        _phrase = line.Length > 13 ? Encoding.Latin1.GetString(line[13..]) : "";
        _headers = new Headers();
        _headerBytes = 0;
        _state = State.Headers;
        return true;
    }

    private bool HeadersDone()
    {
        if (_code is >= 100 and < 200)
        {
            if (_code == 101)
            {
                return Broken("101 Switching Protocols to a request that asked for no upgrade");
            }
            _state = State.StatusLine; // An interim response (100 Continue, 103 Early Hints): the final one follows.
            return true;
        }
        var connection = _headers.Get("Connection");
        _persistent = _requestPersistent && (_version == "HTTP/1.1"
            ? !HttpWire.HasToken(connection, "close")
            : HttpWire.HasToken(connection, "keep-alive"));
        long? length;
        var encodings = _headers.GetAll("Transfer-Encoding");
        if (_method == "HEAD" || _code is 204 or 304)
        {
            length = 0;
            _state = State.Body;
            _remaining = 0;
        }
        else if (encodings.Count > 0)
        {
            length = null;
            var last = encodings[^1].Split(',')[^1].Trim();
            if (string.Equals(last, "chunked", StringComparison.OrdinalIgnoreCase))
            {
                _state = State.ChunkSize;
                // A length beside the coding is a smuggling sign: read this response, then do not reuse the connection.
                _persistent &= !_headers.Contains("Content-Length");
            }
            else
            {
                _state = State.UntilClose;
                _persistent = false;
            }
        }
        else if (_headers.GetAll("Content-Length") is { Count: > 0 } lengths)
        {
            if (HttpWire.ParseContentLength(lengths, out var declared) is { } bad)
            {
                return Broken(bad + " in the response");
            }
            length = declared;
            _remaining = declared;
            _state = State.Body;
        }
        else
        {
            length = null;
            _state = State.UntilClose;
            _persistent = false;
        }
        var response = _response = new HttpResponse(_version, _code, _phrase, _headers, _method, _uri!, length, this);
        var pending = _pending!;
        _pending = null;
        if (!pending.Called)
        {
            pending.Callback(response);
        }
        return _state != State.Closed;
    }

    private bool BodyDone()
    {
        var response = _response;
        _response = null;
        StopTimer();
        if (_readingPaused && HasTransport)
        {
            // The body ended in the read that filled what the response keeps untaken: the next exchange reads again.
            _readingPaused = false;
            Transport.ResumeProducing();
        }
        // Bytes beyond the response were not asked for: the connection is not trusted with another request.
        if (_persistent && _end == _start && HasTransport && !Transport.Disconnecting)
        {
            _state = State.Idle;
            _start = _end = 0;
            Pool.Release(this);
        }
        else
        {
            _state = State.Closed;
            if (HasTransport)
            {
                Transport.LoseConnection();
            }
        }
        response?.BodyEnded(null);
        return false;
    }

    private bool Broken(string reason)
    {
        if (_state == State.Closed)
        {
            return false;
        }
        _state = State.Closed;
        StopTimer();
        var failure = new Failure(new ResponseFailedException(reason));
        if (_pending is { } pending)
        {
            _pending = null;
            if (!pending.Called)
            {
                pending.Errback(failure);
            }
        }
        else if (_response is { } response)
        {
            _response = null;
            response.BodyEnded(failure);
        }
        Transport.AbortConnection();
        return false;
    }

    private void RestartTimer()
    {
        if (_readTimeout is not { } period || _readingPaused)
        {
            return;
        }
        if (_timer is { Active: true } timer)
        {
            timer.Reset(period);
            return;
        }
        _timer = _clock.CallLater(period, TimedOut);
    }

    private void StopTimer()
    {
        if (_timer is { Active: true })
        {
            _timer.Cancel();
        }
        _timer = null;
    }

    private void TimedOut()
    {
        _timer = null;
        if (_state is State.Idle or State.Closed)
        {
            return;
        }
        _timedOut = true;
        Transport.AbortConnection();
    }
}
