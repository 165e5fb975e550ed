namespace AsyncCore.Mail;

/// <summary>
/// What one serialisation of a message by MimeKit leaves: its size (for <c>SIZE=</c>) and, when it is at most
/// <see cref="Limit"/> bytes, its bytes. One per connection, reused for every message.
/// </summary>
/// <remarks>
/// Why: the size must be known before <c>MAIL FROM</c>, the bytes only after the server's 354. A small message (the
/// bulk-mail case) is written once, here, and copied into the transport at 354: one serialisation instead of two (one
/// to count, one to send). A larger one is only counted here and streamed at 354 under backpressure
/// (<see cref="DataProducer"/>), so no full copy of it is ever held by the client. The buffer never grows past
/// <see cref="Limit"/> (the transport's own high-water mark), so it is not a second copy of a big message.
/// </remarks>
internal sealed class MessageCapture : Stream
{
    /// <summary>The largest message kept: 64 KiB, the transport's high-water mark.</summary>
    public const int Limit = 64 * 1024;

    private byte[] _buffer = new byte[4096];
    private long _length;

    /// <summary>The message's bytes, when it fit in <see cref="Limit"/> (empty otherwise).</summary>
    public ReadOnlySpan<byte> Captured => _length <= Limit ? _buffer.AsSpan(0, (int)_length) : default;

    /// <summary>Whether the whole message is in <see cref="Captured"/>.</summary>
    public bool Complete => _length <= Limit;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    /// <summary>The bytes written since <see cref="Reset"/>: the message's size.</summary>
    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    /// <summary>Forgets the previous message (the buffer is kept).</summary>
    public void Reset() => _length = 0;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var end = _length + buffer.Length;
        if (end <= Limit)
        {
            if (end > _buffer.Length)
            {
                Array.Resize(ref _buffer, (int)Math.Min(Limit, Math.Max(end, 2L * _buffer.Length)));
            }
            buffer.CopyTo(_buffer.AsSpan((int)_length));
        }
        _length = end;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
