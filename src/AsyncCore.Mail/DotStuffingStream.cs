using AsyncCore.Protocols;

namespace AsyncCore.Mail;

/// <summary>
/// A write-only stream that writes the DATA section into a consumer (the transport): a dot that starts a line is
/// doubled (RFC 5321 section 4.5.2), and <see cref="Finish"/> ends the data with <c>CRLF.CRLF</c>.
/// </summary>
/// <remarks>
/// Only dots are looked at (a vectorised search), not every byte: a run without a dot at a line start goes to the
/// consumer in one write. The last two bytes of a write are remembered, so a line start split across writes is seen.
/// </remarks>
internal sealed class DotStuffingStream(IConsumer consumer) : Stream
{
    // The data starts a line (it follows the CRLF of the 354 exchange).
    private bool _atLineStart = true;
    private bool _afterCr;

    public long BytesWritten { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }
        var start = 0;
        var from = 0;
        while (true)
        {
            var found = buffer[from..].IndexOf((byte)'.');
            if (found < 0)
            {
                break;
            }
            var i = from + found;
            var lineStart = i switch
            {
                0 => _atLineStart,
                1 => _afterCr && buffer[0] == (byte)'\n',
                _ => buffer[i - 1] == (byte)'\n' && buffer[i - 2] == (byte)'\r',
            };
            if (lineStart)
            {
                // Write what came before, then the extra dot; the line's own dot follows with the next run.
                consumer.Write(buffer[start..i]);
                consumer.Write("."u8);
                BytesWritten++;
                start = i;
            }
            from = i + 1;
        }
        consumer.Write(buffer[start..]);
        BytesWritten += buffer.Length;
        _atLineStart = buffer.Length >= 2
            ? buffer[^2] == (byte)'\r' && buffer[^1] == (byte)'\n'
            : _afterCr && buffer[0] == (byte)'\n';
        _afterCr = buffer[^1] == (byte)'\r';
    }

    /// <summary>Ends the data: a CRLF if the message did not end with one, then <c>.CRLF</c>.</summary>
    public void Finish()
    {
        consumer.Write(_atLineStart ? ".\r\n"u8 : "\r\n.\r\n"u8);
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
