namespace AsyncCore.Protocols;

/// <summary>
/// A protocol that splits incoming data into lines, with a raw mode for bulk data (Twisted's <c>basic.LineReceiver</c>).
/// </summary>
/// <remarks>
/// <para>Lines are found across any chunking of the input, including a delimiter split between reads. The delimiter is not
/// part of the line. A complete line longer than <see cref="MaxLength"/> calls <see cref="LineLengthExceeded"/> with the
/// line, the delimiter and the rest of the buffer; an unfinished line calls it once the buffer reaches
/// <see cref="MaxLength"/> plus the delimiter's length (so that a delimiter split across reads is tolerated).</para>
/// <para>Processing stops when the transport is disconnecting or the receiver is paused; <see cref="PausableProtocol.ResumeProducing"/>
/// resumes from the buffer. Calling <see cref="BufferedProtocol.DataReceived"/> from inside <see cref="LineReceived"/> only appends to the
/// buffer, so switching modes never grows the stack.</para>
/// <para>Twisted's "a reason returned from <c>lineReceived</c> or <c>rawDataReceived</c> stops the parsing and closes
/// the connection with it" is <see cref="StopParsing"/>: the lines (or raw data) after the current one, even those
/// already received in the same read, are not delivered, and the connection closes with that reason.
/// <see cref="PausableProtocol.PauseProducing"/> stops delivery for a while instead; an exception thrown from a callback
/// closes the connection and is logged.</para>
/// </remarks>
public abstract class LineReceiver : PausableProtocol
{
    private static readonly byte[] s_crlf = "\r\n"u8.ToArray();
    private byte[] _delimiter = s_crlf;
    private int _scanned;
    private Exception? _stopReason;
    private bool _parsing;
    private bool _closedForStop;

    /// <summary>The line delimiter; <c>\r\n</c> by default.</summary>
    public byte[] Delimiter
    {
        get => _delimiter;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            ArgumentOutOfRangeException.ThrowIfZero(value.Length, nameof(value));
            _delimiter = value;
            _scanned = 0;
        }
    }

    /// <summary>The longest line accepted, in bytes (16384 by default, as Twisted's <c>MAX_LENGTH</c>).</summary>
    public int MaxLength { get; set; } = 16384;

    /// <summary>True in line mode (the default); false in raw mode.</summary>
    public bool LineMode { get; private set; } = true;


    /// <summary>The bytes received and not yet delivered.</summary>
    protected ReadOnlySpan<byte> PendingBytes => _buffer.Span;

    /// <summary>Called with each line, without its delimiter. The span is valid only during the call.</summary>
    protected abstract void LineReceived(ReadOnlySpan<byte> line);

    /// <summary>Called with data received in raw mode. The default throws, as a raw mode needs an override.</summary>
    protected virtual void RawDataReceived(ReadOnlySpan<byte> data) =>
        throw new NotSupportedException($"{GetType().Name} switched to raw mode without overriding RawDataReceived.");

    /// <summary>Called when a line is too long; the default closes the connection.</summary>
    /// <param name="line">The offending bytes (for a complete line: the line, the delimiter and the rest of the buffer).</param>
    protected virtual void LineLengthExceeded(ReadOnlySpan<byte> line) => TransportOrNull?.LoseConnection();

    /// <summary>True once <see cref="StopParsing"/> was called: nothing more is delivered.</summary>
    public bool ParsingStopped => _stopReason is not null;

    /// <summary>
    /// Stops delivering data and closes the connection with <paramref name="reason"/> (Twisted's <c>lineReceived</c>
    /// or <c>rawDataReceived</c> returning a reason, such as <c>ConnectionLost()</c>). Called from
    /// <see cref="LineReceived"/> or <see cref="RawDataReceived"/>, the rest of the data already received (later lines
    /// in the same read included) is not delivered, and the connection is closed once the callback returns. Called
    /// elsewhere, the connection is closed at once.
    /// </summary>
    /// <remarks>
    /// The close drops data not yet sent, as Twisted's does, and <see cref="IProtocol.ConnectionLost"/> later gets
    /// <paramref name="reason"/> (on the socket transports, <see cref="InMemory.FakeTransport"/> and through
    /// <see cref="ProtocolWrapper"/>s; <see cref="InMemory.StringTransport"/> records it in
    /// <see cref="InMemory.StringTransport.AbortReason"/>). On a transport of another kind the connection is aborted
    /// (<see cref="ITransport.AbortConnection"/>). Later calls do nothing: the first reason wins.
    /// </remarks>
    /// <param name="reason">Why the connection is closed; what <see cref="IProtocol.ConnectionLost"/> gets.</param>
    protected void StopParsing(Exception reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (_stopReason is not null)
        {
            return;
        }
        _stopReason = reason;
        if (!_parsing)
        {
            CloseForStop();
        }
    }

    private void CloseForStop()
    {
        if (_closedForStop || _stopReason is null || TransportOrNull is not { } transport)
        {
            return;
        }
        _closedForStop = true;
        if (transport is IAbortWithReason withReason)
        {
            withReason.AbortConnection(_stopReason);
        }
        else
        {
            transport.AbortConnection();
        }
    }

    /// <inheritdoc />
    private protected override void ParseBuffer()
    {
        if (_stopReason is not null)
        {
            return;
        }
        _parsing = true;
        try
        {
            Parse();
        }
        finally
        {
            _parsing = false;
        }
        // After the loop, as Twisted's transport acts on the reason once dataReceived has returned it.
        if (_stopReason is not null)
        {
            CloseForStop();
        }
    }

    private void Parse()
    {
        while (_buffer.Length > 0 && !Paused)
        {
            if (LineMode)
            {
                var pending = _buffer.Span;
                // Resume the search where the previous read left it, so a long line arriving in many reads stays linear.
                var from = Math.Min(_scanned, pending.Length);
                var index = pending[from..].IndexOf(_delimiter);
                if (index < 0)
                {
                    _scanned = Math.Max(0, pending.Length - _delimiter.Length + 1);
                    if (pending.Length >= MaxLength + _delimiter.Length)
                    {
                        var line = _buffer.Span;
                        _buffer.Clear();
                        _scanned = 0;
                        LineLengthExceeded(line);
                    }
                    return;
                }
                index += from;
                _scanned = 0;
                if (index > MaxLength)
                {
                    var exceeded = _buffer.Span;
                    _buffer.Clear();
                    LineLengthExceeded(exceeded);
                    return;
                }
                var complete = pending[..index];
                _buffer.Consume(index + _delimiter.Length);
                _scanned = 0;
                LineReceived(complete);
                if (_stopReason is not null || TransportOrNull is { Disconnecting: true })
                {
                    return;
                }
            }
            else
            {
                var raw = _buffer.Span;
                _buffer.Clear();
                _scanned = 0;
                RawDataReceived(raw);
                if (_stopReason is not null)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Switches to line mode; <paramref name="extra"/> is parsed as lines (appended when called from a callback).</summary>
    public void SetLineMode(ReadOnlySpan<byte> extra = default)
    {
        LineMode = true;
        _scanned = 0;
        if (!extra.IsEmpty)
        {
            DataReceived(extra);
        }
    }

    /// <summary>Switches to raw mode: the rest of the buffer and further data go to <see cref="RawDataReceived"/>.</summary>
    public void SetRawMode()
    {
        LineMode = false;
        _scanned = 0;
    }

    /// <summary>Returns and clears the bytes not yet delivered.</summary>
    public byte[] ClearLineBuffer()
    {
        _scanned = 0;
        return _buffer.TakeAll();
    }

    /// <summary>Writes <paramref name="line"/> followed by the delimiter, in one write.</summary>
    public void SendLine(ReadOnlySpan<byte> line)
    {
        var length = line.Length + _delimiter.Length;
        if (length <= 512)
        {
            Span<byte> joined = stackalloc byte[length];
            line.CopyTo(joined);
            _delimiter.CopyTo(joined[line.Length..]);
            Transport.Write(joined);
        }
        else
        {
            var joined = new byte[length];
            line.CopyTo(joined);
            _delimiter.CopyTo(joined.AsSpan(line.Length));
            Transport.Write(joined);
        }
    }
}
