using System.Buffers;

namespace AsyncCore.Transports;

/// <summary>Appends into a transport's write buffer.</summary>
/// <remarks>
/// On the concrete <see cref="ArrayBufferWriter{T}"/> rather than <see cref="IBufferWriter{T}"/> (whose <c>Write</c>
/// extension would do the same), so that a write costs no interface dispatch.
/// </remarks>
internal static class ArrayBufferWriterExtensions
{
    /// <summary>Copies <paramref name="data"/> to the end of <paramref name="buffer"/>.</summary>
    public static void Append(this ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> data)
    {
        data.CopyTo(buffer.GetSpan(data.Length));
        buffer.Advance(data.Length);
    }

    /// <summary>Copies every chunk of <paramref name="data"/>, in order, to the end of <paramref name="buffer"/>.</summary>
    public static void Append(this ArrayBufferWriter<byte> buffer, IEnumerable<ReadOnlyMemory<byte>> data)
    {
        foreach (var chunk in data)
        {
            buffer.Append(chunk.Span);
        }
    }
}
