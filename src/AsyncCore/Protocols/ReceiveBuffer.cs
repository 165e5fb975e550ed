namespace AsyncCore.Protocols;

/// <summary>
/// The growable byte buffer of the framing protocols. Bytes are appended at the tail and consumed from the head; the
/// buffer is compacted only when nobody holds a span into it, so a span handed to a callback stays valid while the callback
/// appends (re-entrant <c>DataReceived</c>) or clears the buffer.
/// </summary>
internal struct ReceiveBuffer
{
    private byte[]? _data;
    private int _start;
    private int _end;

    public readonly int Length => _end - _start;

    public readonly ReadOnlySpan<byte> Span => _data is null ? default : _data.AsSpan(_start, _end - _start);

            /// <summary>Appends; when the array must grow, a new one is allocated (the old one stays valid for its readers).</summary>
    public void Append(ReadOnlySpan<byte> bytes, bool mayCompact)
    {
        if (bytes.IsEmpty)
        {
            return;
        }
        _data ??= new byte[Math.Max(256, bytes.Length)];
        if (mayCompact && _start == _end)
        {
            _start = _end = 0;
        }
        if (_data.Length - _end < bytes.Length)
        {
            var length = _end - _start;
            if (mayCompact && length + bytes.Length <= _data.Length / 2)
            {
                _data.AsSpan(_start, length).CopyTo(_data);
            }
            else
            {
                var grown = new byte[Math.Max(_data.Length * 2, length + bytes.Length)];
                _data.AsSpan(_start, length).CopyTo(grown);
                _data = grown;
            }
            _start = 0;
            _end = length;
        }
        bytes.CopyTo(_data.AsSpan(_end));
        _end += bytes.Length;
    }

    /// <summary>Drops <paramref name="count"/> bytes from the head.</summary>
    public void Consume(int count)
    {
        _start += count;
        if (_start == _end && _data is not null && _data.Length > 1 << 16)
        {
            // A huge line once arrived; do not keep its buffer for the life of the connection.
            _data = null;
            _start = _end = 0;
        }
    }

    /// <summary>Takes everything out.</summary>
    public byte[] TakeAll()
    {
        var all = Span.ToArray();
        Consume(Length);
        return all;
    }

    /// <summary>Drops everything.</summary>
    public void Clear() => Consume(Length);
}
