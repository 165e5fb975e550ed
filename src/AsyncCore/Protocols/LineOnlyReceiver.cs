namespace AsyncCore.Protocols;

/// <summary>
/// A faster line protocol without raw mode (Twisted's <c>basic.LineOnlyReceiver</c>): lines longer than
/// <see cref="MaxLength"/> call <see cref="LineLengthExceeded"/> with the line; an unfinished line calls it once the buffer
/// reaches <see cref="MaxLength"/> plus the delimiter's length, so the outcome is the same however the bytes are split
/// into reads (a delimiter split across reads included).
/// </summary>
public abstract class LineOnlyReceiver : BufferedProtocol
{
    private static readonly byte[] s_crlf = "\r\n"u8.ToArray();
    private byte[] _delimiter = s_crlf;

    /// <summary>The line delimiter; <c>\r\n</c> by default.</summary>
    public byte[] Delimiter
    {
        get => _delimiter;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            ArgumentOutOfRangeException.ThrowIfZero(value.Length, nameof(value));
            _delimiter = value;
        }
    }

    /// <summary>The longest line accepted, in bytes (16384 by default).</summary>
    public int MaxLength { get; set; } = 16384;

    /// <summary>Called with each line, without its delimiter. The span is valid only during the call.</summary>
    protected abstract void LineReceived(ReadOnlySpan<byte> line);

    /// <summary>Called with a line that is too long; the default closes the connection.</summary>
    protected virtual void LineLengthExceeded(ReadOnlySpan<byte> line) => TransportOrNull?.LoseConnection();

    /// <inheritdoc />
    private protected override void ParseBuffer()
    {
        while (true)
        {
            var pending = _buffer.Span;
            var index = pending.IndexOf(_delimiter);
            if (index < 0)
            {
                break;
            }
            if (TransportOrNull is { Disconnecting: true })
            {
                return;
            }
            var line = pending[..index];
            _buffer.Consume(index + _delimiter.Length);
            if (line.Length > MaxLength)
            {
                LineLengthExceeded(line);
                return;
            }
            LineReceived(line);
        }
        // Room for a delimiter split across reads (as LineReceiver): only MaxLength plus the delimiter's length without a
        // delimiter proves the line too long, whatever the chunking.
        if (_buffer.Length >= (long)MaxLength + _delimiter.Length)
        {
            var rest = _buffer.Span;
            _buffer.Clear();
            LineLengthExceeded(rest);
        }
    }

    /// <summary>Writes <paramref name="line"/> and the delimiter as one gathered write.</summary>
    public void SendLine(ReadOnlySpan<byte> line)
    {
        var joined = new byte[line.Length + _delimiter.Length];
        line.CopyTo(joined);
        _delimiter.CopyTo(joined.AsSpan(line.Length));
        Transport.Write(joined);
    }
}
