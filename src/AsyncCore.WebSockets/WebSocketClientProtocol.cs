using System.Globalization;
using System.Text;
using AsyncCore.Web;

namespace AsyncCore.WebSockets;

/// <summary>
/// The client end of a WebSocket connection (Autobahn's <c>WebSocketClientProtocol</c>): connect it with
/// <see cref="WebSocketClient.Connect{TProtocol}(IReactorTime, string, TProtocol, WebSocketClientOptions?)"/>. It sends the opening handshake, checks the server's answer (status 101, the
/// <c>Sec-WebSocket-Accept</c> of its key, a subprotocol and extensions it offered), calls <see cref="OnConnect"/> and
/// then <see cref="WebSocketProtocol.OnOpen"/>.
/// </summary>
public abstract class WebSocketClientProtocol : WebSocketProtocol
{
    private const int MaxResponseHead = 16 * 1024;
    private readonly MemoryStream _head = new();
    private Uri? _uri;
    private string _key = "";
    private IDelayedCall? _openTimer;
    private WebSocketHandshakeException? _handshakeError;

    /// <summary>The server's answer, once the handshake succeeded.</summary>
    public WebSocketConnectionResponse? Response { get; private set; }

    /// <summary>Fires with true once the connection is open; fails when the opening handshake does.</summary>
    internal Deferred<bool> WhenOpen { get; } = new();

    private protected override bool IsServer => false;

    /// <summary>True once a transport is attached.</summary>
    internal bool IsConnected => TransportOrNull is not null;

    private WebSocketClientOptions ClientOptions => (WebSocketClientOptions)Options;

    /// <summary>The server accepted the handshake; throw to refuse its answer (the connection is dropped).</summary>
    protected virtual void OnConnect(WebSocketConnectionResponse response)
    {
    }

    internal void Prepare(Uri uri, WebSocketClientOptions options, IReactorTime? clock)
    {
        _uri = uri;
        Configure(options, clock);
    }

    private protected override void TransportAttached()
    {
        if (_uri is null || OptionsOrNull is null)
        {
            throw new InvalidOperationException("Connect a WebSocketClientProtocol with WebSocketClient.Connect, or call WebSocketClient.Prepare first.");
        }
        var options = ClientOptions;
        _key = Handshake.NewKey();
        var host = _uri.IsDefaultPort ? _uri.IdnHost : _uri.IdnHost + ":" + _uri.Port.ToString(CultureInfo.InvariantCulture);
        if (_uri.HostNameType == UriHostNameType.IPv6)
        {
            host = _uri.IsDefaultPort ? "[" + _uri.IdnHost + "]" : "[" + _uri.IdnHost + "]:" + _uri.Port.ToString(CultureInfo.InvariantCulture);
        }
        var head = new StringBuilder(256);
        head.Append("GET ").Append(_uri.PathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(host).Append("\r\n")
            .Append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
            .Append("Sec-WebSocket-Key: ").Append(_key).Append("\r\n")
            .Append("Sec-WebSocket-Version: 13\r\n");
        if (options.Origin is { } origin)
        {
            head.Append("Origin: ").Append(origin).Append("\r\n");
        }
        if (options.Protocols.Count > 0)
        {
            head.Append("Sec-WebSocket-Protocol: ").Append(string.Join(", ", options.Protocols)).Append("\r\n");
        }
        if (options.PerMessageDeflate is { } deflate)
        {
            head.Append("Sec-WebSocket-Extensions: ").Append(PerMessageDeflate.Offer(deflate)).Append("\r\n");
        }
        if (options.UserAgent is { } agent)
        {
            head.Append("User-Agent: ").Append(agent).Append("\r\n");
        }
        foreach (var (name, value) in options.Headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        head.Append("\r\n");
        Transport.Write(Encoding.Latin1.GetBytes(head.ToString()));
        if (Clock is { } clock && options.OpenHandshakeTimeout is { } timeout)
        {
            _openTimer = clock.CallLater(timeout, () =>
            {
                _openTimer = null;
                FailHandshake(new WebSocketHandshakeException("The server did not answer the opening handshake in time."));
            });
        }
    }

    private protected override void HandshakeData(ReadOnlySpan<byte> data)
    {
        if (_handshakeError is not null)
        {
            return;
        }
        var before = (int)_head.Length;
        _head.Write(data);
        var buffer = _head.GetBuffer().AsSpan(0, (int)_head.Length);
        var end = buffer[Math.Max(0, before - 3)..].IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            if (buffer.Length > MaxResponseHead)
            {
                FailHandshake(new WebSocketHandshakeException("The server's answer to the opening handshake is too long."));
            }
            return;
        }
        end += Math.Max(0, before - 3);
        var text = Encoding.Latin1.GetString(buffer[..end]);
        var rest = buffer[(end + 4)..].ToArray();
        _head.SetLength(0);
        Answer? response;
        try
        {
            response = Check(text);
        }
        catch (WebSocketHandshakeException e)
        {
            FailHandshake(e);
            return;
        }
        CancelTimer(ref _openTimer);
        Subprotocol = response.Value.Protocol;
        SetDeflate(response.Value.Deflate);
        Response = new WebSocketConnectionResponse(Transport.GetPeer(), response.Value.Headers, response.Value.Protocol, response.Value.Extensions);
        try
        {
            OnConnect(Response);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            FailHandshake(new WebSocketHandshakeException("OnConnect refused the server's answer: " + e.Message, e));
            return;
        }
        Open(rest);
        WhenOpen.Callback(true);
    }

    private protected override void AfterClose(Failure reason)
    {
        CancelTimer(ref _openTimer);
        if (!WhenOpen.Called)
        {
            WhenOpen.Errback(_handshakeError ?? new WebSocketHandshakeException("The connection was lost during the opening handshake.", reason.Value));
        }
    }

    private void FailHandshake(WebSocketHandshakeException error)
    {
        _handshakeError ??= error;
        MarkUnclean(error.Message);
        Transport.AbortConnection();
    }

    private readonly record struct Answer(Headers Headers, string? Protocol, IReadOnlyList<string> Extensions, PerMessageDeflate? Deflate);

    private Answer Check(string head)
    {
        var lines = head.Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) ||
            !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            throw new WebSocketHandshakeException("The server's answer is not HTTP: " + lines[0]);
        }
        if (code != 101)
        {
            throw new WebSocketHandshakeException(code, $"The server refused the WebSocket connection: {lines[0]}");
        }
        var headers = new Headers();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new WebSocketHandshakeException("Malformed header field in the server's answer: " + line);
            }
            headers.Add(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        if (!Handshake.HasToken(headers.GetAll("Upgrade"), "websocket"))
        {
            throw new WebSocketHandshakeException("The server's answer lacks Upgrade: websocket.");
        }
        if (!Handshake.HasToken(headers.GetAll("Connection"), "upgrade"))
        {
            throw new WebSocketHandshakeException("The server's answer lacks Connection: Upgrade.");
        }
        if (headers.Get("Sec-WebSocket-Accept") != Handshake.Accept(_key))
        {
            throw new WebSocketHandshakeException("The server's Sec-WebSocket-Accept does not match the key sent.");
        }
        var options = ClientOptions;
        var protocol = headers.Get("Sec-WebSocket-Protocol");
        if (protocol is not null && !options.Protocols.Contains(protocol, StringComparer.Ordinal))
        {
            throw new WebSocketHandshakeException($"The server chose the subprotocol '{protocol}', which was not offered.");
        }
        var extensions = ExtensionOffer.Parse(headers.GetAll("Sec-WebSocket-Extensions"))
            ?? throw new WebSocketHandshakeException("Malformed Sec-WebSocket-Extensions in the server's answer.");
        PerMessageDeflate? deflate = null;
        foreach (var extension in extensions)
        {
            if (extension.Name != PerMessageDeflate.Name || options.PerMessageDeflate is null || deflate is not null)
            {
                throw new WebSocketHandshakeException($"The server answered with the extension '{extension.Name}', which was not offered.");
            }
            deflate = PerMessageDeflate.FromAnswer(extension, options.PerMessageDeflate, out var error)
                ?? throw new WebSocketHandshakeException(error!);
        }
        return new Answer(headers, protocol, [.. extensions.Select(e => e.ToString())], deflate);
    }
}
