using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace AsyncCore.WebSockets.Tests;

/// <summary>A frame as bytes on the wire, built by hand so that tests can break every rule.</summary>
internal sealed record WireFrame(bool Fin, int Rsv, int Opcode, byte[] Payload, bool Masked = false)
{
    public const int Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10;

    public string Text8 => Encoding.UTF8.GetString(Payload);

    public int? CloseCode => Opcode == Close && Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

    /// <summary>Encodes a frame; masked (as a client must) unless told otherwise, with a fixed mask so runs are repeatable.</summary>
    public static byte[] Encode(int opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0, bool mask = true, long? lengthOverride = null)
    {
        var output = new MemoryStream();
        output.WriteByte((byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode));
        var length = lengthOverride ?? payload.Length;
        var maskBit = mask ? 0x80 : 0;
        if (lengthOverride is null && length <= 125)
        {
            output.WriteByte((byte)(maskBit | (int)length));
        }
        else if (lengthOverride is null && length <= ushort.MaxValue)
        {
            output.WriteByte((byte)(maskBit | 126));
            output.WriteByte((byte)(length >> 8));
            output.WriteByte((byte)length);
        }
        else
        {
            output.WriteByte((byte)(maskBit | 127));
            Span<byte> wide = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(wide, (ulong)length);
            output.Write(wide);
        }
        byte[] key = [0x37, 0xfa, 0x21, 0x3d];
        if (mask)
        {
            output.Write(key);
        }
        for (var i = 0; i < payload.Length; i++)
        {
            output.WriteByte(mask ? (byte)(payload[i] ^ key[i & 3]) : payload[i]);
        }
        return output.ToArray();
    }

    public static byte[] Text1(string text, bool fin = true) => Encode(Text, Encoding.UTF8.GetBytes(text), fin);

    public static byte[] CloseFrame(int? code, string reason = "")
    {
        if (code is null)
        {
            return Encode(Close, []);
        }
        var payload = new byte[2 + Encoding.UTF8.GetByteCount(reason)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code.Value);
        Encoding.UTF8.GetBytes(reason, payload.AsSpan(2));
        return Encode(Close, payload);
    }

    /// <summary>Parses every whole frame in <paramref name="data"/> (unmasking masked ones).</summary>
    public static List<WireFrame> ParseAll(ReadOnlySpan<byte> data)
    {
        var frames = new List<WireFrame>();
        while (data.Length >= 2)
        {
            var b0 = data[0];
            var b1 = data[1];
            long length = b1 & 0x7F;
            var at = 2;
            if (length == 126)
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
                at = 4;
            }
            else if (length == 127)
            {
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(data[2..]);
                at = 10;
            }
            var masked = (b1 & 0x80) != 0;
            var key = masked ? data.Slice(at, 4).ToArray() : null;
            at += masked ? 4 : 0;
            if (data.Length < at + length)
            {
                throw new InvalidOperationException("Partial frame on the wire.");
            }
            var payload = data.Slice(at, (int)length).ToArray();
            if (key is not null)
            {
                for (var i = 0; i < payload.Length; i++)
                {
                    payload[i] ^= key[i & 3];
                }
            }
            frames.Add(new WireFrame((b0 & 0x80) != 0, (b0 >> 4) & 7, b0 & 0xF, payload, masked));
            data = data[(at + (int)length)..];
        }
        if (!data.IsEmpty)
        {
            throw new InvalidOperationException("Trailing partial frame header on the wire.");
        }
        return frames;
    }

    /// <summary>Inflates a permessage-deflate payload (appending the stripped tail), with a fresh inflater.</summary>
    public static byte[] Inflate(byte[] compressed)
    {
        using var input = new MemoryStream([.. compressed, 0x00, 0x00, 0xFF, 0xFF]);
        using var inflater = new DeflateStream(input, CompressionMode.Decompress);
        var output = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = inflater.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, n);
        }
        return output.ToArray();
    }

    /// <summary>Deflates one message as a peer would (sync flush, tail stripped).</summary>
    public static byte[] Deflate(byte[] payload)
    {
        var output = new MemoryStream();
        using (var deflater = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflater.Write(payload);
            deflater.Flush();
        }
        var bytes = output.ToArray();
        var end = bytes.AsSpan().LastIndexOf(new byte[] { 0x00, 0x00, 0xFF, 0xFF });
        return bytes[..end];
    }
}
