using System.Buffers.Binary;

namespace AsyncCore.Protocols;

/// <summary>
/// A protocol for strings with a big-endian length prefix of <see cref="PrefixLength"/> bytes (Twisted's
/// <c>basic.IntNStringReceiver</c>). A prefix above <see cref="MaxLength"/> (or above what one array can hold,
/// <see cref="Array.MaxLength"/>, whatever <see cref="MaxLength"/> says) calls <see cref="LengthLimitExceeded"/> and
/// delivers nothing. <see cref="PausableProtocol.PauseProducing"/> stops delivery until <see cref="PausableProtocol.ResumeProducing"/>.
/// </summary>
public abstract class IntNStringReceiver : PausableProtocol
{

    /// <summary>Creates a receiver with a prefix of <paramref name="prefixLength"/> bytes (1, 2 or 4).</summary>
    protected IntNStringReceiver(int prefixLength)
    {
        if (prefixLength is not (1 or 2 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, "The prefix is 1, 2 or 4 bytes.");
        }
        PrefixLength = prefixLength;
    }

    /// <summary>The size of the length prefix, in bytes.</summary>
    public int PrefixLength { get; }

    /// <summary>The longest string accepted (99999 by default, as Twisted's <c>MAX_LENGTH</c>).</summary>
    public long MaxLength { get; set; } = 99999;


    /// <summary>Called with each complete string. The span is valid only during the call.</summary>
    protected abstract void StringReceived(ReadOnlySpan<byte> data);

    /// <summary>Called when a prefix announces more than <see cref="MaxLength"/> bytes; the default closes the connection.</summary>
    protected virtual void LengthLimitExceeded(long length) => TransportOrNull?.LoseConnection();

    /// <inheritdoc />
    private protected override void ParseBuffer()
    {
        while (_buffer.Length >= PrefixLength && !Paused)
        {
            var pending = _buffer.Span;
            long length = PrefixLength switch
            {
                1 => pending[0],
                2 => BinaryPrimitives.ReadUInt16BigEndian(pending),
                _ => BinaryPrimitives.ReadUInt32BigEndian(pending),
            };
            // A length no buffer can hold (above Array.MaxLength) would wait forever: it exceeds the limit whatever MaxLength says.
            if (length > MaxLength || length > Array.MaxLength - PrefixLength)
            {
                LengthLimitExceeded(length);
                return;
            }
            if (pending.Length - PrefixLength < length)
            {
                return;
            }
            var message = pending.Slice(PrefixLength, (int)length);
            _buffer.Consume(PrefixLength + (int)length);
            StringReceived(message);
        }
    }

    /// <summary>Writes <paramref name="data"/> with its length prefix.</summary>
    /// <exception cref="StringTooLongException">The length does not fit in the prefix.</exception>
    public void SendString(ReadOnlySpan<byte> data)
    {
        if (PrefixLength < 4 && data.Length >= 1 << (8 * PrefixLength))
        {
            throw new StringTooLongException($"Try to send {data.Length} bytes whereas maximum is {(1 << (8 * PrefixLength)) - 1}.");
        }
        var framed = new byte[PrefixLength + data.Length];
        switch (PrefixLength)
        {
            case 1:
                framed[0] = (byte)data.Length;
                break;
            case 2:
                BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)data.Length);
                break;
            default:
                BinaryPrimitives.WriteUInt32BigEndian(framed, (uint)data.Length);
                break;
        }
        data.CopyTo(framed.AsSpan(PrefixLength));
        Transport.Write(framed);
    }
}

/// <summary>Strings with a 32-bit big-endian length prefix (Twisted's <c>Int32StringReceiver</c>).</summary>
public abstract class Int32StringReceiver() : IntNStringReceiver(4);

/// <summary>Strings with a 16-bit big-endian length prefix (Twisted's <c>Int16StringReceiver</c>).</summary>
public abstract class Int16StringReceiver() : IntNStringReceiver(2);

/// <summary>Strings with an 8-bit length prefix (Twisted's <c>Int8StringReceiver</c>).</summary>
public abstract class Int8StringReceiver() : IntNStringReceiver(1);

/// <summary>A string is too long for the length prefix (Twisted's <c>StringTooLongError</c>).</summary>
public class StringTooLongException : ArgumentException
{
    /// <summary>Creates the exception with the default message.</summary>
    public StringTooLongException() : base("The string is too long for the length prefix.") { }

    /// <summary>Creates the exception with a message.</summary>
    public StringTooLongException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public StringTooLongException(string message, Exception innerException) : base(message, innerException) { }
}
