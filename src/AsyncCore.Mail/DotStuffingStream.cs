using AsyncCore.Protocols;

namespace AsyncCore.Mail;

/// <summary>
/// A write-only stream that writes the DATA section into a transport: a dot that starts a line is doubled (RFC 5321
/// section 4.5.2), and <see cref="Finish"/> ends the data with <c>CRLF.CRLF</c>.
/// </summary>
internal sealed class DotStuffingStream(ITransport transport) : Stream
{
    // The data starts a line (it follows the CRLF of the 354 exchange).
    private bool _atLineStart = true;
    private bool _afterCr;
    private bool _endsWithCrLf = true;

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
        for (var i = 0; i < buffer.Length; i++)
        {
            var b = buffer[i];
            if (_atLineStart && b == (byte)'.')
            {
                // Write what came before, then the extra dot; the line's own dot follows with the next run.
                transport.Write(buffer[start..i]);
                transport.Write("."u8);
                BytesWritten++;
                start = i;
            }
            _atLineStart = _afterCr && b == (byte)'\n';
            _afterCr = b == (byte)'\r';
        }
        transport.Write(buffer[start..]);
        BytesWritten += buffer.Length;
        _endsWithCrLf = _atLineStart;
    }

    /// <summary>Ends the data: a CRLF if the message did not end with one, then <c>.CRLF</c>.</summary>
    public void Finish()
    {
        transport.Write(_endsWithCrLf ? ".\r\n"u8 : "\r\n.\r\n"u8);
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
