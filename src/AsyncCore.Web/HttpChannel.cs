using System.Globalization;
using System.Text;
using AsyncCore.Protocols;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Web;

/// <summary>
/// The server side of one HTTP/1.1 connection (Twisted's <c>HTTPChannel</c>): parses requests, hands each to the
/// <see cref="Site"/>'s resource tree and sends the responses in order.
/// </summary>
/// <remarks>
/// <para>Why HTTP/1.1 is parsed here rather than by Kestrel: Kestrel owns its sockets and its connection pipeline
/// (System.IO.Pipelines on the thread pool); it cannot run as a <see cref="Protocol"/> on a reactor transport, so it
/// could not serve over the reactor's TCP, TLS, UNIX or in-memory endpoints, nor call a resource on the reactor thread.
/// The request grammar (RFC 9112) is small; this parser is strict where leniency enables request smuggling.</para>
/// <para>Pipelined requests are answered in order: while a response is pending, the bytes that follow are buffered
/// (reading stops when <see cref="WebServerOptions.MaxPipelineBuffer"/> is exceeded) and parsed once it is finished.
/// Reading continues meanwhile otherwise, so a client that goes away is noticed and <see cref="Request.NotifyFinish"/>
/// fails.</para>
/// <para>Malformed requests and exceeded limits get a 4xx answer with <c>Connection: close</c>, and the connection
/// is closed: 400 (syntax, smuggling risks such as <c>Transfer-Encoding</c> with <c>Content-Length</c>, obs-fold),
/// 413 (body), 414 (request line), 431 (header fields), 501 (unknown transfer coding), 505 (HTTP version).</para>
/// </remarks>
internal sealed class HttpChannel : Protocol
{
    private enum State
    {
        RequestLine,
        Headers,
        Body,
        ChunkSize,
        ChunkData,
        ChunkEnd,
        Trailers,
        Waiting,
        Closed,
    }

    /// <summary>What the one timer of the connection is waiting for.</summary>
    private enum Wait
    {
        None,
        Idle,
        Headers,
        Body,
    }

    private static readonly Action<ILogger, string, string, Exception?> s_renderFailed =
        LoggerMessage.Define<string, string>(LogLevel.Error, new EventId(1, "RenderFailed"), "Rendering {Method} {Uri} failed");

    private readonly Site _site;
    private readonly WebServerOptions _options;
    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;
    private State _state = State.RequestLine;
    private string _method = "";
    private string _uri = "";
    private string _version = "";
    private Headers _headers = new();
    private int _headerBytes;
    private MemoryStream _body = new();
    private long _remaining;
    private Request? _current;
    private bool _parsing;
    private bool _paused;
    private Wait _waiting;
    private IDelayedCall? _timer;
    private IProtocol? _switched;
    private readonly IReactorTime? _clock;
    private IDelayedCall? _writeTimer;
    private long _bufferedAtLastCheck;

    public HttpChannel(Site site)
    {
        _site = site;
        _options = site.Options;
        // A site given no clock uses the reactor that accepted the connection (the factory builds protocols on its thread).
        _clock = site.Clock ?? AsyncCore.Reactor.ReactorBase.Current;
    }

    internal ITransport? TransportOrNullForRequest => TransportOrNull;

    public override void ConnectionMade()
    {
        base.ConnectionMade();
        UpdateTimer(dataArrived: false);
    }

    public override void DataReceived(ReadOnlySpan<byte> data)
    {
        if (_switched is { } upgraded)
        {
            upgraded.DataReceived(data);
            return;
        }
        if (_state == State.Closed)
        {
            return;
        }
        Append(data);
        if (_state == State.Waiting && _end - _start > _options.MaxPipelineBuffer && !_paused)
        {
            _paused = true;
            Transport.PauseProducing();
        }
        Parse(dataArrived: true);
    }

    public override void ConnectionLost(Failure reason)
    {
        if (_switched is { } upgraded)
        {
            base.ConnectionLost(reason);
            upgraded.ConnectionLost(reason);
            return;
        }
        _state = State.Closed;
        StopTimer();
        StopWriteTimer();
        _current?.ConnectionLost(reason);
        _current = null;
        base.ConnectionLost(reason);
    }

    internal void RequestFinished(Request request)
    {
        if (!ReferenceEquals(request, _current))
        {
            return;
        }
        _current = null;
        AccessLog.Write(_site.AccessLogger, _clock, TransportOrNull?.GetPeer(), $"{request.Method} {request.Uri} {request.ClientVersion}",
            request.ResponseCode, request.SentLength, request.GetHeader("Referer"), request.GetHeader("User-Agent"));
        if (!request.Persistent)
        {
            _state = State.Closed;
            Transport.LoseConnection();
            return;
        }
        _state = State.RequestLine;
        if (_paused)
        {
            _paused = false;
            Transport.ResumeProducing();
        }
        Parse(dataArrived: false);
    }

    /// <summary>
    /// After a 101 answer: the connection belongs to <paramref name="protocol"/> from now on. The bytes already received
    /// after the request are its first data.
    /// </summary>
    internal void SwitchProtocols(Request request, IProtocol protocol)
    {
        if (!ReferenceEquals(request, _current))
        {
            throw new InvalidOperationException("Only the request being answered can switch protocols.");
        }
        _current = null;
        _state = State.Closed;
        StopTimer(); // the idle and header-read timeouts are HTTP's; the new protocol keeps its own
        StopWriteTimer();
        _switched = protocol;
        var rest = _buffer.AsSpan(_start, _end - _start).ToArray();
        _start = _end = 0;
        _buffer = [];
        if (_paused)
        {
            _paused = false;
            Transport.ResumeProducing();
        }
        protocol.MakeConnection(Transport);
        if (rest.Length > 0 && !Transport.Disconnecting)
        {
            protocol.DataReceived(rest);
        }
    }

    /// <summary>
    /// Called after the response wrote to the transport: while bytes wait in the transport's buffer, a timer checks every
    /// <see cref="WebServerOptions.WriteTimeout"/> that the buffer shrank; a client that stopped reading (the buffer
    /// neither empties nor shrinks over one period) is disconnected, so it cannot hold the connection and its buffered
    /// response forever. It goes on after the response is finished, until the buffer is empty.
    /// </summary>
    internal void WatchWrites(bool producing = false)
    {
        if (_writeTimer is not null || _clock is null || _options.WriteTimeout is not { } period
            || TransportOrNull is not AsyncCore.Transports.IWriteBuffered buffered || (buffered.BufferedBytes == 0 && !producing))
        {
            return;
        }
        _bufferedAtLastCheck = buffered.BufferedBytes;
        _writeTimer = _clock.CallLater(period, CheckWrites);
    }

    private void CheckWrites()
    {
        _writeTimer = null;
        if (TransportOrNull is not AsyncCore.Transports.IWriteBuffered buffered || _switched is not null)
        {
            return;
        }
        var now = buffered.BufferedBytes;
        if (now == 0 && _current is not { Finished: false, ClientGone: false })
        {
            return; // Everything was taken and nothing more is coming; the next write starts watching again.
        }
        // Stalled: bytes waited at both checks and none of them were taken (a producer that resumed after a full drain
        // shows as an empty buffer at one check, which is progress).
        if (now > 0 && _bufferedAtLastCheck > 0 && now >= _bufferedAtLastCheck)
        {
            _state = State.Closed;
            StopTimer();
            Transport.AbortConnection(); // LoseConnection would wait for the buffer the client does not read.
            return;
        }
        _bufferedAtLastCheck = now;
        _writeTimer = _clock!.CallLater(_options.WriteTimeout!.Value, CheckWrites);
    }

    private void StopWriteTimer()
    {
        if (_writeTimer is { Active: true })
        {
            _writeTimer.Cancel();
        }
        _writeTimer = null;
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_buffer.Length - _end < data.Length)
        {
            var used = _end - _start;
            if (_buffer.Length < used + data.Length)
            {
                var bigger = new byte[Math.Max(_buffer.Length * 2, used + data.Length)];
                _buffer.AsSpan(_start, used).CopyTo(bigger);
                _buffer = bigger;
            }
            else
            {
                _buffer.AsSpan(_start, used).CopyTo(_buffer);
            }
            _start = 0;
            _end = used;
        }
        data.CopyTo(_buffer.AsSpan(_end));
        _end += data.Length;
    }

    private void Parse(bool dataArrived)
    {
        // Finish called from inside a render re-enters here; the outer loop goes on instead.
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
        UpdateTimer(dataArrived);
    }

    /// <summary>
    /// Sets the connection's one timer for what it now waits for (the slowloris defence): the next request
    /// (<see cref="WebServerOptions.IdleTimeout"/>, restarted by nothing but a request starting), the end of the
    /// request line and headers (<see cref="WebServerOptions.HeaderReadTimeout"/>, counted from the request's first
    /// byte and not restarted by more bytes, so trickling them does not help), or more of the body
    /// (<see cref="WebServerOptions.IdleTimeout"/>, restarted by each read). While a response is pending the render
    /// owns the time and no timer runs.
    /// </summary>
    private void UpdateTimer(bool dataArrived)
    {
        var wait = _state switch
        {
            State.RequestLine when _end == _start => Wait.Idle,
            State.RequestLine or State.Headers => Wait.Headers,
            State.Body or State.ChunkSize or State.ChunkData or State.ChunkEnd or State.Trailers => Wait.Body,
            _ => Wait.None,
        };
        if (wait == _waiting && (wait != Wait.Body || !dataArrived))
        {
            return;
        }
        StopTimer();
        var clock = _clock;
        var period = wait switch
        {
            Wait.Idle or Wait.Body => _options.IdleTimeout,
            Wait.Headers => _options.HeaderReadTimeout,
            _ => null,
        };
        if (clock is null || period is null)
        {
            return;
        }
        _waiting = wait;
        _timer = clock.CallLater(period.Value, TimedOut);
    }

    private void StopTimer()
    {
        if (_timer is { Active: true })
        {
            _timer.Cancel();
        }
        _timer = null;
        _waiting = Wait.None;
    }

    private void TimedOut()
    {
        var waited = _waiting;
        _timer = null;
        _waiting = Wait.None;
        if (_state == State.Closed)
        {
            return;
        }
        if (waited == Wait.Idle)
        {
            // Nothing of a next request was sent: there is no one to answer (RFC 9112 9.5 lets a server close).
            _state = State.Closed;
            Transport.LoseConnection();
            return;
        }
        Refuse(408, waited == Wait.Headers ? "Request header read timed out" : "Request body read timed out");
    }

    /// <summary>Takes one step of the grammar; false when more bytes are needed or the parser must wait.</summary>
    private bool Step()
    {
        switch (_state)
        {
            case State.RequestLine:
            {
                if (!TryLine(_options.MaxRequestLineLength, 414, "Request line too long", out var line))
                {
                    return false;
                }
                if (line.IsEmpty)
                {
                    return true; // RFC 9112 2.2: empty lines before a request line are ignored.
                }
                return RequestLine(line);
            }
            case State.Headers:
            case State.Trailers:
            {
                var left = _options.MaxHeaderBytes - _headerBytes;
                if (!TryLine(Math.Max(left, 0), 431, "Request header fields too large", out var line))
                {
                    return false;
                }
                _headerBytes += line.Length + 2;
                if (line.IsEmpty)
                {
                    return _state == State.Headers ? HeadersDone() : Dispatch();
                }
                return HeaderLine(line);
            }
            case State.Body:
            {
                var take = (int)Math.Min(_remaining, _end - _start);
                _body.Write(_buffer, _start, take);
                _start += take;
                _remaining -= take;
                return _remaining == 0 ? Dispatch() : false;
            }
            case State.ChunkSize:
            {
                if (!TryLine(1024, 400, "Chunk size line too long", out var line))
                {
                    return false;
                }
                if (!HttpWire.TryParseChunkSize(line, out var size))
                {
                    return Refuse(400, "Bad chunk size");
                }
                if (_body.Length + size > _options.MaxBodySize)
                {
                    return Refuse(413, "Request body too large");
                }
                _remaining = size;
                _state = size == 0 ? State.Trailers : State.ChunkData;
                return true;
            }
            case State.ChunkData:
            {
                var take = (int)Math.Min(_remaining, _end - _start);
                _body.Write(_buffer, _start, take);
                _start += take;
                _remaining -= take;
                if (_remaining > 0)
                {
                    return false;
                }
                _state = State.ChunkEnd;
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
                    return Refuse(400, "Chunk data not followed by CRLF");
                }
                _start += 2;
                _state = State.ChunkSize;
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>Cuts a line of at most <paramref name="limit"/> bytes (<see cref="HttpWire.TryLine"/>), refusing
    /// the request with <paramref name="code"/> when it is longer.</summary>
    private bool TryLine(int limit, int code, string reason, out ReadOnlySpan<byte> line)
    {
        switch (HttpWire.TryLine(_buffer.AsSpan(_start, _end - _start), limit, out line, out var consumed))
        {
            case LineResult.Line:
                _start += consumed;
                return true;
            case LineResult.TooLong:
                Refuse(code, reason);
                return false;
            case LineResult.BareCr:
                Refuse(400, "Bare CR in request");
                return false;
            default:
                return false;
        }
    }

    private bool RequestLine(ReadOnlySpan<byte> line)
    {
        var text = Encoding.Latin1.GetString(line);
        var parts = text.Split(' ');
        if (parts.Length != 3 || !IsToken(parts[0]) || parts[1].Length == 0)
        {
            return Refuse(400, "Malformed request line");
        }
        if (parts[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            return parts[2].StartsWith("HTTP/", StringComparison.Ordinal) && parts[2].Length == 8
                ? Refuse(505, "HTTP version not supported")
                : Refuse(400, "Malformed request line");
        }
        var target = parts[1];
        if (target.Any(c => c <= ' ' || c >= 0x7f))
        {
            return Refuse(400, "Malformed request target");
        }
        if (!target.StartsWith('/'))
        {
            // Absolute form (RFC 9112 3.2.2) is reduced to its path; "*" is only for OPTIONS.
            if (target == "*" && parts[0] == "OPTIONS")
            {
                target = "*";
            }
            else if (System.Uri.TryCreate(target, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
            {
                target = absolute.PathAndQuery;
            }
            else
            {
                return Refuse(400, "Malformed request target");
            }
        }
        _method = parts[0];
        _uri = target;
        _version = parts[2];
        _headers = new Headers();
        _headerBytes = 0;
        _body = new MemoryStream();
        _state = State.Headers;
        return true;
    }

    private bool HeaderLine(ReadOnlySpan<byte> line)
    {
        if (HttpWire.ParseHeaderLine(line, out var name, out var value) is { } malformed)
        {
            return Refuse(400, malformed);
        }
        if (_state == State.Trailers)
        {
            return true; // Trailer fields are read and dropped.
        }
        if (_headers.Count >= _options.MaxHeaderCount)
        {
            return Refuse(431, "Too many header fields");
        }
        _headers.Add(name, Encoding.Latin1.GetString(value));
        return true;
    }

    private bool HeadersDone()
    {
        var hosts = _headers.GetAll("Host");
        if (hosts.Count > 1 || (_version == "HTTP/1.1" && hosts.Count == 0))
        {
            return Refuse(400, "Exactly one Host header is required");
        }
        var lengths = _headers.GetAll("Content-Length");
        var encodings = _headers.GetAll("Transfer-Encoding");
        if (encodings.Count > 0)
        {
            if (lengths.Count > 0 || _version == "HTTP/1.0")
            {
                return Refuse(400, "Transfer-Encoding with Content-Length or in HTTP/1.0");
            }
            if (encodings.Count > 1 || !string.Equals(encodings[0], "chunked", StringComparison.OrdinalIgnoreCase))
            {
                return Refuse(501, "Only the chunked transfer coding is supported");
            }
            _state = State.ChunkSize;
        }
        else if (lengths.Count > 0)
        {
            if (HttpWire.ParseContentLength(lengths, out var length) is { } bad)
            {
                return Refuse(400, bad);
            }
            if (length > _options.MaxBodySize)
            {
                return Refuse(413, "Request body too large");
            }
            _remaining = length;
            _state = State.Body;
        }
        else
        {
            _remaining = 0;
            _state = State.Body;
        }
        if (_state != State.Body || _remaining > 0)
        {
            if (_version == "HTTP/1.1" && string.Equals(_headers.Get("Expect"), "100-continue", StringComparison.OrdinalIgnoreCase))
            {
                Transport.Write("HTTP/1.1 100 Continue\r\n\r\n"u8);
            }
        }
        return true;
    }

    private bool Dispatch()
    {
        _body.Position = 0;
        StopTimer(); // The request is in: the next one's deadlines start afresh.
        var request = new Request(this, _method, _uri, _version, _headers, _body);
        var connection = _headers.Get("Connection") ?? "";
        request.Persistent = _version == "HTTP/1.1"
            ? !HasToken(connection, "close")
            : HasToken(connection, "keep-alive");
        _current = request;
        _state = State.Waiting;
        Render(request);
        return _state != State.Waiting && _state != State.Closed;
    }

    private void Render(Request request)
    {
        RenderResult result;
        try
        {
            result = _site.GetResourceFor(request).Render(request);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Fail(request, new Failure(exception));
            return;
        }
        if (result.IsNotDoneYet)
        {
            return;
        }
        if (result.Later is { } later)
        {
            request.PendingRender = later;
            later.AddBoth(outcome =>
            {
                request.PendingRender = null;
                if (outcome.Failure is { } cancelled && request.ClientGone && cancelled.Value is CancelledException)
                {
                    // Cancelled because the client left (Request.ConnectionLost): nobody to answer, nothing went wrong.
                }
                else if (outcome.Failure is { } failure)
                {
                    Fail(request, failure);
                }
                else if (!request.Finished && !request.ClientGone)
                {
                    WriteWhole(request, outcome.Value ?? []);
                }
                return true;
            });
            return;
        }
        WriteWhole(request, result.Body ?? []);
    }

    private static void WriteWhole(Request request, byte[] body)
    {
        if (!request.StartedWriting)
        {
            request.ResponseHeaders.Set("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture));
        }
        request.Write(body);
        request.Finish();
    }

    internal void Fail(Request request, Failure failure)
    {
        // Logged as Twisted's Request.processingFailed does, whether or not the client is still there to be told.
        s_renderFailed(AsyncCoreLogging.LoggerFactory.CreateLogger<Site>(), request.Method, request.Uri, failure.Value);
        if (request.Finished || request.ClientGone)
        {
            return;
        }
        if (request.StartedWriting)
        {
            // Part of a response is out: the client can only be told by the connection ending early.
            _state = State.Closed;
            TransportOrNull?.AbortConnection();
            return;
        }
        request.ResponseCode = 500;
        request.ResponseHeaders.Set("Content-Type", "text/plain; charset=utf-8");
        WriteWhole(request, "500 Internal Server Error\n"u8.ToArray());
    }

    private bool Refuse(int code, string reason)
    {
        if (_state == State.Closed)
        {
            return false;
        }
        // The request line is known once the parser is past it (its fields are set as it moves to the headers).
        var known = _state is not (State.RequestLine or State.Waiting);
        _state = State.Closed;
        var body = $"{code} {ReasonPhrase(code)}\n{reason}\n";
        AccessLog.Write(_site.AccessLogger, _clock, TransportOrNull?.GetPeer(), known ? $"{_method} {_uri} {_version}" : null,
            code, body.Length, known ? _headers.Get("Referer") : null, known ? _headers.Get("User-Agent") : null);
        var head = $"HTTP/1.1 {code} {ReasonPhrase(code)}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        Transport.Write(Encoding.ASCII.GetBytes(head + body));
        Transport.LoseConnection();
        return false;
    }

    private static bool HasToken(string header, string token) => HttpWire.HasToken(header, token);

    internal static bool IsToken(string text) => HttpWire.IsToken(text);

    internal static string ReasonPhrase(int code) => code switch
    {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Status " + code.ToString(CultureInfo.InvariantCulture),
    };
}
