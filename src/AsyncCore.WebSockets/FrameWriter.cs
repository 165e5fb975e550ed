using System.Buffers.Binary;
using System.Security.Cryptography;

namespace AsyncCore.WebSockets;

/// <summary>Encodes frames (RFC 6455 5.2): the shortest length encoding, and a fresh random mask per frame when masking.</summary>
internal static class FrameWriter
{
    /// <summary>Frames up to this size go out as one buffer (header and payload together); larger ones as two.</summary>
    private const int CoalesceLimit = 16 * 1024;

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

    /// <summary>Encodes one whole frame as a new array.</summary>
    public static byte[] Encode(Opcode opcode, bool fin, bool rsv1, ReadOnlySpan<byte> payload, bool mask)
    {
        var headerLength = HeaderLength(payload.Length, mask);
        var frame = new byte[headerLength + payload.Length];
        WriteHeader(frame, opcode, fin, rsv1, payload.Length, mask);
        if (mask)
        {
            FrameParser.Unmask(payload, frame.AsSpan(headerLength), frame.AsSpan(headerLength - 4, 4), 0);
        }
        else
        {
            payload.CopyTo(frame.AsSpan(headerLength));
        }
        return frame;
    }

    /// <summary>Writes one frame to <paramref name="consumer"/>, copying an unmasked large payload only once (in the transport).</summary>
    public static void Write(AsyncCore.Protocols.IConsumer consumer, Opcode opcode, bool fin, bool rsv1, ReadOnlySpan<byte> payload, bool mask)
    {
        if (mask || payload.Length <= CoalesceLimit)
        {
            consumer.Write(Encode(opcode, fin, rsv1, payload, mask));
            return;
        }
        Span<byte> header = stackalloc byte[14];
        var length = WriteHeader(header, opcode, fin, rsv1, payload.Length, mask: false);
        consumer.Write(header[..length]);
        consumer.Write(payload);
    }
}
