using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace AsyncCore.WebSockets;

/// <summary>Encodes frames (RFC 6455 5.2): the shortest length encoding, and a fresh random mask per frame when masking.</summary>
internal static class FrameWriter
{
    /// <summary>Unmasked frames up to this size go out as one write (header and payload together); larger ones as two.</summary>
    internal const int CoalesceLimit = 16 * 1024;

    public static int HeaderLength(long payloadLength, bool mask) =>
        2 + (payloadLength <= 125 ? 0 : payloadLength <= ushort.MaxValue ? 2 : 8) + (mask ? 4 : 0);

    /// <summary>Writes the header into <paramref name="target"/> and returns its length; the mask key (when masking) is its last 4 bytes.</summary>
    public static int WriteHeader(Span<byte> target, Opcode opcode, bool fin, bool rsv1, long payloadLength, bool mask)
    {
        target[0] = (byte)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (byte)opcode);
        var maskBit = mask ? 0x80 : 0;
        int at;
        if (payloadLength <= 125)
        {
            target[1] = (byte)(maskBit | (int)payloadLength);
            at = 2;
        }
        else if (payloadLength <= ushort.MaxValue)
        {
            target[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(target[2..], (ushort)payloadLength);
            at = 4;
        }
        else
        {
            target[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(target[2..], (ulong)payloadLength);
            at = 10;
        }
        if (mask)
        {
            RandomNumberGenerator.Fill(target.Slice(at, 4));
            at += 4;
        }
        return at;
    }

    /// <summary>
    /// Writes one frame to <paramref name="consumer"/> without allocating. A masked frame, or one of at most
    /// <see cref="CoalesceLimit"/> bytes, goes out as one write through a pooled buffer: a completion transport sends
    /// each write as it comes, and a separate header would cost a send (and over TLS a record) of its own. A larger
    /// unmasked frame goes as its header and its payload, copied once (into the transport's buffer).
    /// </summary>
    public static void Write(AsyncCore.Protocols.IConsumer consumer, Opcode opcode, bool fin, bool rsv1, ReadOnlySpan<byte> payload, bool mask)
    {
        if (!mask && payload.Length > CoalesceLimit)
        {
            Span<byte> header = stackalloc byte[14];
            var length = WriteHeader(header, opcode, fin, rsv1, payload.Length, mask: false);
            consumer.Write(header[..length]);
            consumer.Write(payload);
            return;
        }
        var headerLength = HeaderLength(payload.Length, mask);
        var total = headerLength + payload.Length;
        var rented = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            WriteHeader(rented, opcode, fin, rsv1, payload.Length, mask);
            if (mask)
            {
                FrameParser.Unmask(payload, rented.AsSpan(headerLength, payload.Length), rented.AsSpan(headerLength - 4, 4), 0);
            }
            else
            {
                payload.CopyTo(rented.AsSpan(headerLength));
            }
            consumer.Write(rented.AsSpan(0, total));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
