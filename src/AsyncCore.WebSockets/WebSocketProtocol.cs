using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using AsyncCore.Protocols;

namespace AsyncCore.WebSockets;

/// <summary>
/// One WebSocket connection after its opening handshake (Autobahn's <c>WebSocketProtocol</c>): override
/// <see cref="OnOpen"/>, <see cref="OnMessage"/> and <see cref="OnClose"/>; send with <see cref="SendMessage(ReadOnlySpan{byte}, bool, int, bool)"/>,
/// <see cref="SendPing"/> and <see cref="SendClose"/>. Derive from <see cref="WebSocketServerProtocol"/> or
/// <see cref="WebSocketClientProtocol"/>. Everything runs on the reactor thread.
/// </summary>
/// <remarks>
/// <para>Incoming frames are checked as they arrive (RFC 6455): masking (a server refuses unmasked client frames, a client
/// masked server frames), reserved bits and opcodes, control frames (at most 125 bytes, never fragmented), fragmentation
/// order, UTF-8 of text messages (checked across fragments, failing at the first invalid byte) and the size limits of
/// <see cref="WebSocketOptions"/>. A violation fails the connection: a close frame with 1002 (protocol), 1007 (bad
/// UTF-8) or 1009 (too big) is sent and TCP is closed. Pings are answered with pongs automatically.</para>
/// <para>The close handshake: either side sends a close frame and the other echoes it; the server then closes TCP, and a
/// client waits (<see cref="WebSocketClientOptions.ServerConnectionDropTimeout"/>) for it to. <see cref="OnClose"/> is called
/// exactly once, when the connection is gone, with wasClean true only if both close frames were exchanged and TCP
/// closed in order.</para>
/// <para>Backpressure: writes go to the transport's buffer. Register a push producer with
/// <see cref="RegisterProducer"/> and the transport pauses it while a slow peer lets the buffer fill.</para>
/// </remarks>
public abstract class WebSocketProtocol : Protocol, IFrameHandler
{
    private readonly MemoryStream _message = new();
    private const int ExactAllocationLimit = 64 * 1024;
    private long _exactLength = -1;
    private byte[]? _exact;
    private int _exactFill;
    private readonly byte[] _control = new byte[125];
    private FrameParser? _parser;
    private PerMessageDeflate? _deflate;
    private IReactorTime? _clock;
    private WebSocketOptions? _options;

    private bool _messageInProgress;
    private bool _messageBinary;
    private bool _messageCompressed;
    private long _messageLength;
    private Utf8Validator _utf8;
    private Opcode _frameOpcode;
    private bool _frameFin;
    private int _controlLength;
    private byte[]? _inflateBuffer;

    private bool _sendingMessage;
    private bool _sendingBinary;
    private bool _sendingCompressed;
    private bool _sendingFirstFrame;
    private MessageStreamer? _streamer;

    private bool _closeSent;
    private bool _closeReceived;
    private bool _failed;
    private int _failCode;
    private string? _failReason;
    private int? _remoteCode;
    private string? _remoteReason;
    private string? _uncleanReason;
    private bool _closeReported;
    private IDelayedCall? _closeTimer;
    private IDelayedCall? _dropTimer;
    private IDelayedCall? _pingTimer;
    private IDelayedCall? _pongTimer;
    private byte[]? _pingPayload;

    /// <summary>Only this assembly's server and client protocols can derive (the handshake hooks are private protected).</summary>
    protected WebSocketProtocol()
    {
    }

    /// <summary>Where the connection is in its life.</summary>
    public WebSocketState State { get; private set; } = WebSocketState.Connecting;

    /// <summary>The subprotocol agreed in the opening handshake, or null.</summary>
    public string? Subprotocol { get; private protected set; }

    /// <summary>True when permessage-deflate was negotiated.</summary>
    public bool CompressionNegotiated => _deflate is not null;

    /// <summary>The settings in force (the server's or the client's).</summary>
    public WebSocketOptions Options => _options ?? throw new InvalidOperationException("The protocol is not configured yet.");

    /// <summary>True for the server end.</summary>
    private protected abstract bool IsServer { get; }

    private protected IReactorTime? Clock => _clock;

    private protected WebSocketOptions? OptionsOrNull => _options;

    /// <inheritdoc />
    public sealed override void ConnectionMade() => TransportAttached();

    /// <inheritdoc />
    public sealed override void DataReceived(ReadOnlySpan<byte> data)
    {
        if (State == WebSocketState.Connecting)
        {
            HandshakeData(data);
        }
        else if (_parser is { Stopped: false } parser)
        {
            parser.Feed(data);
        }
    }

    /// <inheritdoc />
    public sealed override void ConnectionLost(Failure reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        base.ConnectionLost(reason);
        var wasConnecting = State == WebSocketState.Connecting;
        State = WebSocketState.Closed;
        CancelTimers();
        _parser?.Stop();
        _deflate?.Dispose();
        _streamer?.StopProducing();
        if (wasConnecting)
        {
            ReportClose(false, WebSocketCloseCode.Abnormal, _uncleanReason ?? "the connection was lost during the opening handshake (" + reason.Value.Message + ")");
        }
        else if (_closeSent && _closeReceived && !_failed && _uncleanReason is null && reason.Check<ConnectionDoneException>())
        {
            ReportClose(true, _remoteCode, _remoteReason);
        }
        else if (_failed)
        {
            ReportClose(false, _failCode, _failReason);
        }
        else
        {
            ReportClose(false, WebSocketCloseCode.Abnormal, _uncleanReason ?? "the connection was closed uncleanly (" + reason.Value.Message + ")");
        }
        AfterClose(reason);
    }

    /// <summary>The opening handshake is done: messages may be sent.</summary>
    protected virtual void OnOpen()
    {
    }

    /// <summary>A whole message arrived (fragments reassembled, decompressed). Text is valid UTF-8 bytes.</summary>
    protected virtual void OnMessage(byte[] payload, bool isBinary)
    {
    }

    /// <summary>
    /// A message begins (Autobahn's <c>onMessageBegin</c>). With <see cref="OnMessageFrameData"/> and
    /// <see cref="OnMessageEnd"/>, it receives a message piece by piece as it arrives: override all three to handle
    /// messages of any size without buffering them (and set <see cref="WebSocketOptions.MaxMessagePayloadSize"/> to the
    /// most you accept, or 0). By default the three assemble the message for <see cref="OnMessage"/>.
    /// </summary>
    protected virtual void OnMessageBegin(bool isBinary)
    {
        // A message in one uncompressed frame has a known size: its array is filled directly, without a copy from
        // a growing buffer.
        if (_exactLength >= 0)
        {
            _exact = _exactLength == 0 ? [] : new byte[_exactLength];
            _exactFill = 0;
        }
    }

    /// <summary>
    /// Payload of the message under way, as it arrives (Autobahn's <c>onMessageFrameData</c>): unmasked, decompressed,
    /// in pieces of any size (a frame may come in several, and pieces do not follow frame boundaries once decompressed).
    /// Text is checked to be UTF-8 so far, but a character may be split between two pieces. The span is valid only
    /// during the call.
    /// </summary>
    protected virtual void OnMessageFrameData(ReadOnlySpan<byte> data)
    {
        if (_exact is { } exact)
        {
            data.CopyTo(exact.AsSpan(_exactFill));
            _exactFill += data.Length;
        }
        else
        {
            _message.Write(data);
        }
    }

    /// <summary>The message under way is complete (Autobahn's <c>onMessageEnd</c>); a text message is whole UTF-8.</summary>
    protected virtual void OnMessageEnd()
    {
        var payload = _exact ?? _message.ToArray();
        _exact = null;
        _message.SetLength(0);
        OnMessage(payload, _messageBinary);
    }

    /// <summary>A ping arrived (the pong was already sent).</summary>
    protected virtual void OnPing(byte[] payload)
    {
    }

    /// <summary>A pong arrived (solicited or not).</summary>
    protected virtual void OnPong(byte[] payload)
    {
    }

    /// <summary>
    /// The connection is gone; called exactly once, also when the opening handshake failed. <paramref name="code"/> is
    /// the peer's close code after a clean close (null when its close frame had none), the code this end failed the
    /// connection with after a protocol violation, or 1006 when the connection was lost without a close handshake.
    /// </summary>
    protected virtual void OnClose(bool wasClean, int? code, string? reason)
    {
    }

    /// <summary>Sends text as one UTF-8 message.</summary>
    public void SendMessage(string text) => SendMessage(Encoding.UTF8.GetBytes(text ?? throw new ArgumentNullException(nameof(text))));

    /// <summary>
    /// Sends one message. Text must be UTF-8 bytes. <paramref name="fragmentSize"/> (or else
    /// <see cref="WebSocketOptions.AutoFragmentSize"/>) splits it into frames of at most that many bytes. It is
    /// compressed when permessage-deflate was negotiated unless <paramref name="doNotCompress"/>. Dropped once the
    /// connection is closing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection is not open yet, or a streamed message is under way.</exception>
    public void SendMessage(ReadOnlySpan<byte> payload, bool isBinary = false, int fragmentSize = 0, bool doNotCompress = false)
    {
        if (!CanSend())
        {
            return;
        }
        if (_sendingMessage)
        {
            throw new InvalidOperationException("A streamed message (BeginMessage) is under way; end it first.");
        }
        var opcode = isBinary ? Opcode.Binary : Opcode.Text;
        var compress = _deflate is { } deflate && !doNotCompress && payload.Length >= deflate.MinimumSize;
        ReadOnlySpan<byte> data = compress ? _deflate!.Compress(payload) : payload;
        var size = fragmentSize > 0 ? fragmentSize : Options.AutoFragmentSize;
        if (size <= 0 || data.Length <= size)
        {
            WriteFrame(opcode, true, compress, data);
            return;
        }
        var first = true;
        while (true)
        {
            var take = Math.Min(size, data.Length);
            var last = take == data.Length;
            WriteFrame(first ? opcode : Opcode.Continuation, last, first && compress, data[..take]);
            data = data[take..];
            first = false;
            if (last)
            {
                return;
            }
        }
    }

    /// <summary>Starts a message sent frame by frame (<see cref="SendMessageFrame"/>, then <see cref="EndMessage"/>).</summary>
    /// <exception cref="InvalidOperationException">The connection is not open yet, or another streamed message is under way.</exception>
    public void BeginMessage(bool isBinary = false, bool doNotCompress = false)
    {
        if (!CanSend())
        {
            return;
        }
        if (_sendingMessage)
        {
            throw new InvalidOperationException("A streamed message is already under way.");
        }
        _sendingMessage = true;
        _sendingBinary = isBinary;
        _sendingCompressed = _deflate is not null && !doNotCompress;
        _sendingFirstFrame = true;
    }

    /// <summary>Sends one frame of the message begun with <see cref="BeginMessage"/> (compressed and flushed when it is compressed).</summary>
    /// <exception cref="InvalidOperationException">No streamed message is under way.</exception>
    public void SendMessageFrame(ReadOnlySpan<byte> data)
    {
        if (!_sendingMessage)
        {
            if (State is WebSocketState.Closing or WebSocketState.Closed)
            {
                return;
            }
            throw new InvalidOperationException("SendMessageFrame needs BeginMessage first.");
        }
        if (!CanSend())
        {
            return;
        }
        ReadOnlySpan<byte> payload = _sendingCompressed ? _deflate!.CompressPart(data) : data;
        WriteFrame(_sendingFirstFrame ? (_sendingBinary ? Opcode.Binary : Opcode.Text) : Opcode.Continuation, false, _sendingFirstFrame && _sendingCompressed, payload);
        _sendingFirstFrame = false;
    }

    /// <summary>Ends the message begun with <see cref="BeginMessage"/> (a last frame with FIN set).</summary>
    /// <exception cref="InvalidOperationException">No streamed message is under way.</exception>
    public void EndMessage()
    {
        if (!_sendingMessage)
        {
            if (State is WebSocketState.Closing or WebSocketState.Closed)
            {
                return;
            }
            throw new InvalidOperationException("EndMessage needs BeginMessage first.");
        }
        _sendingMessage = false;
        if (!CanSend())
        {
            return;
        }
        ReadOnlySpan<byte> payload = _sendingCompressed ? _deflate!.FinishMessage() : [];
        WriteFrame(_sendingFirstFrame ? (_sendingBinary ? Opcode.Binary : Opcode.Text) : Opcode.Continuation, true, _sendingFirstFrame && _sendingCompressed, payload);
    }

    /// <summary>
    /// Sends one message read from <paramref name="source"/> as frames of at most <paramref name="frameSize"/> bytes,
    /// under backpressure: it registers as the transport's push producer, so a slow peer (the transport's write buffer
    /// over its high-water mark) pauses it until the buffer drains, and a message of any size never sits whole in the
    /// write buffer. The source is read on the reactor thread (a <see cref="MemoryStream"/>, a local file). The Deferred
    /// fires once the last frame was handed to the transport, or fails with a <see cref="ConnectionLostException"/>
    /// when the connection closes first (or with the source's error, which fails the connection with 1011). Until then
    /// no other message can be sent (control frames can) and no other producer can be registered.
    /// </summary>
    /// <param name="source">The message's bytes (text must be UTF-8), read to its end; not disposed.</param>
    /// <param name="isBinary">A binary message rather than text.</param>
    /// <param name="frameSize">The largest frame payload (before compression).</param>
    /// <param name="doNotCompress">Send it uncompressed even when permessage-deflate was negotiated.</param>
    /// <exception cref="InvalidOperationException">The connection is not open yet, or a message or producer is under way.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frameSize"/> is not positive.</exception>
    public Deferred<bool> StreamMessage(Stream source, bool isBinary = false, int frameSize = 64 * 1024, bool doNotCompress = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameSize);
        if (!CanSend())
        {
            return Deferred.Fail<bool>(new ConnectionLostException("The connection is closing: the message was not sent."));
        }
        if (_sendingMessage)
        {
            throw new InvalidOperationException("A streamed message is already under way.");
        }
        var streamer = new MessageStreamer(this, source, frameSize);
        Transport.RegisterProducer(streamer, streaming: true);
        _streamer = streamer;
        BeginMessage(isBinary, doNotCompress);
        streamer.Produce();
        return streamer.Done;
    }

    internal bool CanStream => State == WebSocketState.Open && !_closeSent && TransportOrNull is not null;

    internal void StreamerFinished(MessageStreamer streamer)
    {
        if (_streamer != streamer)
        {
            return;
        }
        _streamer = null;
        _sendingMessage = false;
        if (State != WebSocketState.Closed)
        {
            TransportOrNull?.UnregisterProducer();
        }
    }

    internal void AbortStreamedMessage(string reason) => Fail(WebSocketCloseCode.InternalError, reason);

    /// <summary>Sends a ping (at most 125 bytes of payload); the peer answers with a pong carrying the same payload.</summary>
    /// <exception cref="ArgumentException">The payload is longer than 125 bytes.</exception>
    public void SendPing(ReadOnlySpan<byte> payload = default)
    {
        CheckControlPayload(payload);
        if (CanSend())
        {
            WriteFrame(Opcode.Ping, true, false, payload);
        }
    }

    /// <summary>Sends an unsolicited pong (at most 125 bytes of payload), which the peer ignores: a one-way heartbeat.</summary>
    /// <exception cref="ArgumentException">The payload is longer than 125 bytes.</exception>
    public void SendPong(ReadOnlySpan<byte> payload = default)
    {
        CheckControlPayload(payload);
        if (CanSend())
        {
            WriteFrame(Opcode.Pong, true, false, payload);
        }
    }

    /// <summary>
    /// Starts the close handshake: sends a close frame with <paramref name="code"/> (1000 or 3000-4999; null sends none)
    /// and <paramref name="reason"/> (at most 123 UTF-8 bytes; needs a code), then waits for the peer's close frame at
    /// most <see cref="WebSocketOptions.CloseHandshakeTimeout"/>. Does nothing once a close frame was sent. Before the
    /// opening handshake has completed it drops the connection.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The code is not one an application may send.</exception>
    /// <exception cref="ArgumentException">A reason without a code, or a reason longer than 123 bytes.</exception>
    public void SendClose(int? code = null, string? reason = null)
    {
        if (code is { } value && !WebSocketCloseCode.IsValidForApplication(value))
        {
            throw new ArgumentOutOfRangeException(nameof(code), value, "An application may close with 1000 or a code in 3000-4999.");
        }
        var reasonBytes = reason is null ? [] : Encoding.UTF8.GetBytes(reason);
        if (reason is not null && code is null)
        {
            throw new ArgumentException("A close reason needs a close code.", nameof(reason));
        }
        if (reasonBytes.Length > 123)
        {
            throw new ArgumentException("A close reason is at most 123 bytes of UTF-8.", nameof(reason));
        }
        if (State == WebSocketState.Connecting)
        {
            _uncleanReason = "closed by the application before the opening handshake completed";
            TransportOrNull?.AbortConnection();
            return;
        }
        if (_closeSent || State == WebSocketState.Closed)
        {
            return;
        }
        SendCloseFrame(code, reasonBytes);
        State = WebSocketState.Closing;
        if (_clock is { } clock && !_closeReceived)
        {
            _closeTimer = clock.CallLater(Options.CloseHandshakeTimeout, () =>
            {
                _closeTimer = null;
                _uncleanReason = "the peer did not answer the close frame in time";
                TransportOrNull?.AbortConnection();
            });
        }
    }

    /// <summary>
    /// Registers a producer with the transport (Twisted's <c>registerProducer</c>): a push producer is paused while the
    /// transport's write buffer is over its high-water mark, as when a slow peer stops reading, and resumed once it drains.
    /// </summary>
    public void RegisterProducer(IProducer producer, bool streaming) => Transport.RegisterProducer(producer, streaming);

    /// <summary>Removes the producer registered with <see cref="RegisterProducer"/>.</summary>
    public void UnregisterProducer() => Transport.UnregisterProducer();

    /// <summary>Sets the negotiated settings; called before the protocol is attached to its transport.</summary>
    private protected void Configure(WebSocketOptions options, IReactorTime? clock)
    {
        _options = options;
        _clock = clock;
    }

    private protected void SetDeflate(PerMessageDeflate? deflate) => _deflate = deflate;

    /// <summary>The transport is attached: a server is open at once, a client starts its handshake.</summary>
    private protected abstract void TransportAttached();

    /// <summary>Bytes before the connection is open (a client's handshake answer).</summary>
    private protected virtual void HandshakeData(ReadOnlySpan<byte> data)
    {
    }

    /// <summary>The connection was reported closed (<see cref="OnClose"/> ran).</summary>
    private protected virtual void AfterClose(Failure reason)
    {
    }

    /// <summary>The handshake is done: starts framing, the keep-alive pings and calls <see cref="OnOpen"/>.</summary>
    private protected void Open(ReadOnlySpan<byte> firstBytes)
    {
        var options = Options;
        var requireMask = IsServer && options is WebSocketServerOptions { RequireMaskedClientFrames: true };
        _parser = new FrameParser(this, requireMask, forbidMask: !IsServer, options.MaxFramePayloadSize) { AllowRsv1 = _deflate is not null };
        State = WebSocketState.Open;
        SchedulePing();
        OnOpen();
        if (!firstBytes.IsEmpty && State != WebSocketState.Closed && !_parser.Stopped)
        {
            _parser.Feed(firstBytes);
        }
    }

    /// <summary>Reports the end once; for a handshake that failed before the connection was open, too.</summary>
    private protected void ReportClose(bool wasClean, int? code, string? reason)
    {
        if (_closeReported)
        {
            return;
        }
        _closeReported = true;
        OnClose(wasClean, code, reason);
    }

    private protected void MarkUnclean(string reason) => _uncleanReason ??= reason;

    bool IFrameHandler.OnFrameStart(in FrameHeader header)
    {
        if (header.IsControl)
        {
            _frameOpcode = header.Opcode;
            _controlLength = 0;
            return true;
        }
        if (header.Opcode == Opcode.Continuation)
        {
            if (!_messageInProgress)
            {
                return Fail(WebSocketCloseCode.ProtocolError, "continuation frame with no message to continue");
            }
        }
        else
        {
            if (_messageInProgress)
            {
                return Fail(WebSocketCloseCode.ProtocolError, "new data frame before the fragmented message ended");
            }
            _messageInProgress = true;
            _messageBinary = header.Opcode == Opcode.Binary;
            _messageCompressed = header.Rsv1;
            _messageLength = 0;
            _utf8.Reset();
            var max0 = Options.MaxMessagePayloadSize;
            if (!_messageCompressed && max0 > 0 && header.Length > max0)
            {
                return Fail(WebSocketCloseCode.MessageTooBig, $"message over the limit of {max0} bytes");
            }
            _exact = null;
            _message.SetLength(0);
            // Only small ones: a peer announcing a large frame and sending nothing must not make this end allocate it.
            _exactLength = header.Fin && !header.Rsv1 && header.Length <= ExactAllocationLimit ? header.Length : -1;
            OnMessageBegin(_messageBinary);
            if (State == WebSocketState.Closed || _failed)
            {
                return false;
            }
        }
        _frameOpcode = header.Opcode;
        _frameFin = header.Fin;
        var max = Options.MaxMessagePayloadSize;
        if (!_messageCompressed && max > 0 && _messageLength + header.Length > max)
        {
            return Fail(WebSocketCloseCode.MessageTooBig, $"message over the limit of {max} bytes");
        }
        return true;
    }

    bool IFrameHandler.OnFramePayload(ReadOnlySpan<byte> data)
    {
        if (((byte)_frameOpcode & 0x8) != 0)
        {
            data.CopyTo(_control.AsSpan(_controlLength));
            _controlLength += data.Length;
            return true;
        }
        if (_messageCompressed)
        {
            _deflate!.Feed(data);
            return Inflate();
        }
        return Append(data);
    }

    bool IFrameHandler.OnFrameEnd()
    {
        if (((byte)_frameOpcode & 0x8) != 0)
        {
            return Control();
        }
        if (!_frameFin)
        {
            return true;
        }
        if (_messageCompressed)
        {
            _deflate!.FeedEnd();
            if (!Inflate())
            {
                return false;
            }
            _deflate.EndIncomingMessage();
        }
        if (!_messageBinary && Options.Utf8ValidateIncoming && !_utf8.IsComplete)
        {
            return Fail(WebSocketCloseCode.InvalidPayload, "text message ends inside a UTF-8 sequence");
        }
        _messageInProgress = false;
        OnMessageEnd();
        return State != WebSocketState.Closed && !_failed;
    }

    void IFrameHandler.OnFramingError(int code, string reason) => Fail(code, reason);

    private bool Inflate()
    {
        _inflateBuffer ??= new byte[16 * 1024];
        while (true)
        {
            int n;
            try
            {
                n = _deflate!.Read(_inflateBuffer);
            }
            catch (InvalidDataException e)
            {
                return Fail(WebSocketCloseCode.InvalidPayload, "corrupt compressed message: " + e.Message);
            }
            if (n == 0)
            {
                return true;
            }
            if (!Append(_inflateBuffer.AsSpan(0, n)))
            {
                return false;
            }
        }
    }

    private bool Append(ReadOnlySpan<byte> data)
    {
        _messageLength += data.Length;
        var max = Options.MaxMessagePayloadSize;
        if (max > 0 && _messageLength > max)
        {
            return Fail(WebSocketCloseCode.MessageTooBig, $"message over the limit of {max} bytes");
        }
        if (!_messageBinary && Options.Utf8ValidateIncoming && !_utf8.Validate(data))
        {
            return Fail(WebSocketCloseCode.InvalidPayload, "invalid UTF-8 in a text message");
        }
        OnMessageFrameData(data);
        return State != WebSocketState.Closed && !_failed;
    }

    private bool Control()
    {
        var payload = _control.AsSpan(0, _controlLength);
        switch (_frameOpcode)
        {
            case Opcode.Ping:
                if (State == WebSocketState.Open)
                {
                    WriteFrame(Opcode.Pong, true, false, payload);
                }
                OnPing(payload.ToArray());
                return State != WebSocketState.Closed;
            case Opcode.Pong:
                if (_pingPayload is not null && payload.SequenceEqual(_pingPayload))
                {
                    _pingPayload = null;
                    CancelTimer(ref _pongTimer);
                }
                OnPong(payload.ToArray());
                return State != WebSocketState.Closed;
            default:
                return CloseFrame(payload);
        }
    }

    private bool CloseFrame(ReadOnlySpan<byte> payload)
    {
        int? code = null;
        string? reason = null;
        if (payload.Length == 1)
        {
            return Fail(WebSocketCloseCode.ProtocolError, "close frame with a 1-byte payload");
        }
        if (payload.Length >= 2)
        {
            code = BinaryPrimitives.ReadUInt16BigEndian(payload);
            if (!WebSocketCloseCode.IsValidOnWire(code.Value))
            {
                return Fail(WebSocketCloseCode.ProtocolError, $"invalid close code {code}");
            }
            var reasonBytes = payload[2..];
            if (!System.Text.Unicode.Utf8.IsValid(reasonBytes))
            {
                return Fail(WebSocketCloseCode.InvalidPayload, "close reason is not valid UTF-8");
            }
            reason = Encoding.UTF8.GetString(reasonBytes);
        }
        _closeReceived = true;
        _remoteCode = code;
        _remoteReason = reason;
        _parser!.Stop();
        CancelTimer(ref _closeTimer);
        if (!_closeSent)
        {
            // Echo the peer's code (RFC 6455 5.5.1), without its reason.
            Span<byte> echo = stackalloc byte[2];
            if (code is { } value)
            {
                BinaryPrimitives.WriteUInt16BigEndian(echo, (ushort)value);
            }
            SendCloseFrame(code, code is null ? [] : echo);
            State = WebSocketState.Closing;
        }
        CloseHandshakeDone();
        return false;
    }

    /// <summary>Both close frames went: the server closes TCP, a client waits for it to.</summary>
    private void CloseHandshakeDone()
    {
        if (IsServer)
        {
            Transport.LoseConnection();
            return;
        }
        var timeout = (Options as WebSocketClientOptions)?.ServerConnectionDropTimeout ?? TimeSpan.FromSeconds(1);
        if (_clock is { } clock)
        {
            _dropTimer = clock.CallLater(timeout, () =>
            {
                _dropTimer = null;
                _uncleanReason = "the server did not close the connection after the close handshake";
                TransportOrNull?.AbortConnection();
            });
        }
        else
        {
            Transport.LoseConnection();
        }
    }

    /// <summary>Fails the connection (RFC 6455 7.1.7): a close frame with the code unless failing by drop, then TCP closed.</summary>
    private protected bool Fail(int code, string reason)
    {
        if (_failed || State == WebSocketState.Closed)
        {
            return false;
        }
        _failed = true;
        _failCode = code;
        _failReason = reason;
        _parser?.Stop();
        _streamer?.Abandon();
        if (!Options.FailByDrop && !_closeSent)
        {
            var bytes = Encoding.UTF8.GetBytes(reason);
            var payload = new byte[2 + Math.Min(bytes.Length, 123)];
            BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
            // Cut the reason to 123 bytes at a character boundary.
            var cut = Math.Min(bytes.Length, 123);
            while (cut > 0 && cut < bytes.Length && (bytes[cut] & 0xC0) == 0x80)
            {
                cut--;
            }
            bytes.AsSpan(0, cut).CopyTo(payload.AsSpan(2));
            WriteFrame(Opcode.Close, true, false, payload.AsSpan(0, 2 + cut));
            _closeSent = true;
        }
        State = WebSocketState.Closing;
        Transport.LoseConnection();
        return false;
    }

    private void SendCloseFrame(int? code, ReadOnlySpan<byte> reasonOrEcho)
    {
        _streamer?.Abandon();
        if (code is null)
        {
            WriteFrame(Opcode.Close, true, false, []);
        }
        else if (reasonOrEcho.Length == 2 && BinaryPrimitives.ReadUInt16BigEndian(reasonOrEcho) == code)
        {
            WriteFrame(Opcode.Close, true, false, reasonOrEcho);
        }
        else
        {
            var payload = new byte[2 + reasonOrEcho.Length];
            BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code.Value);
            reasonOrEcho.CopyTo(payload.AsSpan(2));
            WriteFrame(Opcode.Close, true, false, payload);
        }
        _closeSent = true;
    }

    private bool CanSend()
    {
        if (State == WebSocketState.Connecting)
        {
            throw new InvalidOperationException("The WebSocket connection is not open yet (wait for OnOpen).");
        }
        return State == WebSocketState.Open && !_closeSent;
    }

    private static void CheckControlPayload(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > 125)
        {
            throw new ArgumentException("A control frame carries at most 125 bytes.", nameof(payload));
        }
    }

    private void WriteFrame(Opcode opcode, bool fin, bool rsv1, ReadOnlySpan<byte> payload) =>
        FrameWriter.Write(Transport, opcode, fin, rsv1, payload, mask: !IsServer && Options is WebSocketClientOptions { MaskClientFrames: true });

    private void SchedulePing()
    {
        if (_clock is not { } clock || Options.AutoPingInterval is not { } interval || interval <= TimeSpan.Zero)
        {
            return;
        }
        _pingTimer = clock.CallLater(interval, () =>
        {
            _pingTimer = null;
            if (State != WebSocketState.Open || _closeSent)
            {
                return;
            }
            if (_pongTimer is null)
            {
                _pingPayload = RandomNumberGenerator.GetBytes(8);
                WriteFrame(Opcode.Ping, true, false, _pingPayload);
                if (Options.AutoPingTimeout is { } timeout)
                {
                    _pongTimer = clock.CallLater(timeout, () =>
                    {
                        _pongTimer = null;
                        _uncleanReason = "the peer did not answer the keep-alive ping in time";
                        TransportOrNull?.AbortConnection();
                    });
                }
            }
            SchedulePing();
        });
    }

    private protected virtual void CancelTimers()
    {
        CancelTimer(ref _closeTimer);
        CancelTimer(ref _dropTimer);
        CancelTimer(ref _pingTimer);
        CancelTimer(ref _pongTimer);
    }

    private protected static void CancelTimer(ref IDelayedCall? timer)
    {
        if (timer is { Active: true })
        {
            timer.Cancel();
        }
        timer = null;
    }
}
