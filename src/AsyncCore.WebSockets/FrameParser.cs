using System.Buffers.Binary;

namespace AsyncCore.WebSockets;

/// <summary>
/// Reads RFC 6455 frames incrementally from bytes in chunks of any size: headers are checked as soon as their bytes are
/// there, payloads are handed on (unmasked) as they arrive, so a message never has to be whole in one buffer here.
/// </summary>
/// <remarks>
/// Why the framing is written here rather than taken from <c>System.Net.WebSockets</c>: <c>WebSocket.CreateFromStream</c>
/// owns a <see cref="Stream"/> and reads it with async calls on the thread pool, one message at a time into buffers the
/// caller supplies. An AsyncCore protocol is pushed bytes on the reactor thread by its transport and must never block
/// or hop threads, and it needs the framing events themselves (fail-fast UTF-8 across fragments, interleaved control
/// frames, limits checked on the header, producer backpressure on the transport). No NuGet WebSocket codec is
/// reactor-friendly in that sense; RFC 6455 framing is the protocol itself, small and fully specified.
/// </remarks>
internal sealed class FrameParser
{
    private readonly IFrameHandler _handler;
    private readonly byte[] _header = new byte[14];
    private readonly byte[] _mask = new byte[4];
    private byte[] _scratch = new byte[4096];
    private int _headerFill;
    private int _headerNeeded = 2;
    private bool _inPayload;
    private long _remaining;
    private int _maskOffset;
    private bool _masked;
    private bool _stopped;

    public FrameParser(IFrameHandler handler, bool requireMask, bool forbidMask, long maxFramePayload)
    {
        _handler = handler;
        RequireMask = requireMask;
        ForbidMask = forbidMask;
        MaxFramePayload = maxFramePayload;
    }

    /// <summary>The server's rule: every client frame must be masked.</summary>
    public bool RequireMask { get; }

    /// <summary>The client's rule: a server frame must not be masked.</summary>
    public bool ForbidMask { get; }

    /// <summary>The largest payload of one frame (0: no limit); a larger one fails with 1009.</summary>
    public long MaxFramePayload { get; }

    /// <summary>RSV1 marks a compressed message once permessage-deflate is negotiated; otherwise it fails with 1002.</summary>
    public bool AllowRsv1 { get; set; }

    /// <summary>True once a handler call or a framing error stopped the parser; later bytes are ignored.</summary>
    public bool Stopped => _stopped;

    /// <summary>Stops parsing for good (the connection failed or the close frame was read).</summary>
    public void Stop() => _stopped = true;

    /// <summary>Parses <paramref name="data"/>; returns false once parsing has stopped.</summary>
    public bool Feed(ReadOnlySpan<byte> data)
    {
        while (!_stopped)
        {
            if (_inPayload)
            {
                if (_remaining == 0)
                {
                    _inPayload = false;
                    if (!_handler.OnFrameEnd())
                    {
                        _stopped = true;
                    }
                    continue;
                }
                if (data.IsEmpty)
                {
                    return true;
                }
                var take = (int)Math.Min(Math.Min(_remaining, data.Length), 64 * 1024);
                var chunk = data[..take];
                data = data[take..];
                _remaining -= take;
                if (_masked)
                {
                    if (_scratch.Length < take)
                    {
                        _scratch = new byte[Math.Max(take, _scratch.Length * 2)];
                    }
                    var target = _scratch.AsSpan(0, take);
                    Unmask(chunk, target, _mask, _maskOffset);
                    _maskOffset = (_maskOffset + take) & 3;
                    chunk = target;
                }
                if (!_handler.OnFramePayload(chunk))
                {
                    _stopped = true;
                }
                continue;
            }
            if (data.IsEmpty)
            {
                return true;
            }
            var copy = Math.Min(_headerNeeded - _headerFill, data.Length);
            data[..copy].CopyTo(_header.AsSpan(_headerFill));
            data = data[copy..];
            _headerFill += copy;
            if (_headerFill < _headerNeeded)
            {
                continue;
            }
            if (_headerNeeded == 2)
            {
                // The first two bytes decide everything but the length: check them before waiting for more.
                if (!CheckFirstBytes())
                {
                    _stopped = true;
                    break;
                }
                var length7 = _header[1] & 0x7F;
                _headerNeeded = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((_header[1] & 0x80) != 0 ? 4 : 0);
                if (_headerFill < _headerNeeded)
                {
                    continue;
                }
            }
            if (!HeaderComplete())
            {
                _stopped = true;
            }
        }
        return false;
    }

    private bool CheckFirstBytes()
    {
        var b0 = _header[0];
        var b1 = _header[1];
        var opcode = b0 & 0x0F;
        var control = (opcode & 0x8) != 0;
        if ((b0 & 0x30) != 0)
        {
            return Error(1002, "RSV2 or RSV3 set without a negotiated extension");
        }
        if (opcode is >= 3 and <= 7 or >= 11)
        {
            return Error(1002, $"reserved opcode {opcode}");
        }
        if ((b0 & 0x40) != 0 && (!AllowRsv1 || control || opcode == 0))
        {
            return Error(1002, AllowRsv1 ? "RSV1 set on a control or continuation frame" : "RSV1 set without a negotiated extension");
        }
        if (control && (b0 & 0x80) == 0)
        {
            return Error(1002, "fragmented control frame");
        }
        if (control && (b1 & 0x7F) > 125)
        {
            return Error(1002, "control frame payload longer than 125 bytes");
        }
        var masked = (b1 & 0x80) != 0;
        if (RequireMask && !masked)
        {
            return Error(1002, "unmasked frame from a client");
        }
        if (ForbidMask && masked)
        {
            return Error(1002, "masked frame from a server");
        }
        return true;
    }

    private bool HeaderComplete()
    {
        var b0 = _header[0];
        var b1 = _header[1];
        var length7 = b1 & 0x7F;
        long length;
        var at = 2;
        if (length7 == 126)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2));
            at = 4;
        }
        else if (length7 == 127)
        {
            var wide = BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2));
            if (wide > long.MaxValue)
            {
                return Error(1002, "64-bit payload length with its most significant bit set");
            }
            length = (long)wide;
            at = 10;
        }
        else
        {
            length = length7;
        }
        _masked = (b1 & 0x80) != 0;
        if (_masked)
        {
            _header.AsSpan(at, 4).CopyTo(_mask);
        }
        _maskOffset = 0;
        _headerFill = 0;
        _headerNeeded = 2;
        if (MaxFramePayload > 0 && length > MaxFramePayload)
        {
            return Error(1009, $"frame payload of {length} bytes over the limit of {MaxFramePayload}");
        }
        var header = new FrameHeader((b0 & 0x80) != 0, (b0 & 0x40) != 0, (Opcode)(b0 & 0x0F), _masked, length);
        if (!_handler.OnFrameStart(header))
        {
            return false;
        }
        _inPayload = true;
        _remaining = length;
        return true;
    }

    private bool Error(int code, string reason)
    {
        _handler.OnFramingError(code, reason);
        return false;
    }

    /// <summary>XORs <paramref name="source"/> with the mask, starting at <paramref name="offset"/> into it.</summary>
    internal static void Unmask(ReadOnlySpan<byte> source, Span<byte> target, ReadOnlySpan<byte> mask, int offset)
    {
        // Rotate the key so that a whole 32-bit word can be applied at a time.
        Span<byte> rotated = [mask[offset & 3], mask[(offset + 1) & 3], mask[(offset + 2) & 3], mask[(offset + 3) & 3]];
        var key = BitConverter.ToUInt32(rotated);
        var i = 0;
        for (; i + 4 <= source.Length; i += 4)
        {
            BitConverter.TryWriteBytes(target[i..], BitConverter.ToUInt32(source[i..]) ^ key);
        }
        for (; i < source.Length; i++)
        {
            target[i] = (byte)(source[i] ^ rotated[i & 3]);
        }
    }
}
