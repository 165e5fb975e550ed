using System.Globalization;
using System.Text;

namespace AsyncCore.Protocols;

/// <summary>
/// A protocol for netstrings, <c>&lt;length&gt;:&lt;data&gt;,</c> (Twisted's <c>basic.NetstringReceiver</c>). A malformed
/// length (leading zero, non-digit, missing colon), a missing comma or a length above <see cref="MaxLength"/> (or above
/// what one array can hold, <see cref="Array.MaxLength"/> less one, whatever <see cref="MaxLength"/> says) sets
/// <see cref="BrokenPeer"/> and closes the connection.
/// </summary>
public abstract class NetstringReceiver : BufferedProtocol
{
    private State _state = State.Length;
    private long _length;
    private int _digits;

    private enum State
    {
        Length,
        Data,
    }

    /// <summary>The longest string accepted (99999 by default).</summary>
    public long MaxLength { get; set; } = 99999;

    /// <summary>True once the peer sent something that is not a netstring.</summary>
    public bool BrokenPeer { get; private set; }

    /// <summary>Called with each complete string. The span is valid only during the call.</summary>
    protected abstract void StringReceived(ReadOnlySpan<byte> data);

    /// <summary>Writes <paramref name="data"/> as a netstring.</summary>
    public void SendString(ReadOnlySpan<byte> data)
    {
        var prefix = Encoding.ASCII.GetBytes(data.Length.ToString(CultureInfo.InvariantCulture) + ":");
        var framed = new byte[prefix.Length + data.Length + 1];
        prefix.CopyTo(framed, 0);
        data.CopyTo(framed.AsSpan(prefix.Length));
        framed[^1] = (byte)',';
        Transport.Write(framed);
    }

    /// <inheritdoc />
    public override void DataReceived(ReadOnlySpan<byte> data)
    {
        if (BrokenPeer)
        {
            return;
        }
        base.DataReceived(data);
    }

    /// <inheritdoc />
    private protected override void ParseBuffer()
    {
        while (_buffer.Length > 0 && !BrokenPeer)
        {
            if (!Step())
            {
                return;
            }
        }
    }

    // Consumes what it can; returns false when more bytes are needed.
    private bool Step()
    {
        var pending = _buffer.Span;
        switch (_state)
        {
            case State.Length:
                var b = pending[0];
                if (b == (byte)':')
                {
                    if (_digits == 0)
                    {
                        return Broken();
                    }
                    _buffer.Consume(1);
                    _state = State.Data;
                    return true;
                }
                if (b is < (byte)'0' or > (byte)'9' || (_digits == 1 && _length == 0))
                {
                    // Not a digit, or a leading zero ("0" alone is the empty string).
                    return Broken();
                }
                // Checked before it grows, so that no MaxLength (long.MaxValue included) lets the length overflow; the
                // data and its comma must also fit in one buffer.
                var digit = b - '0';
                var limit = Math.Min(MaxLength, Array.MaxLength - 1);
                if (limit < digit || _length > (limit - digit) / 10)
                {
                    return Broken();
                }
                _length = (_length * 10) + digit;
                _digits++;
                _buffer.Consume(1);
                return true;
            default:
                if (pending.Length < _length + 1)
                {
                    return false;
                }
                if (pending[(int)_length] != (byte)',')
                {
                    return Broken();
                }
                var message = pending[..(int)_length];
                _buffer.Consume((int)_length + 1);
                _state = State.Length;
                _length = 0;
                _digits = 0;
                StringReceived(message);
                return true;
        }
    }

    private bool Broken()
    {
        BrokenPeer = true;
        _buffer.Clear();
        TransportOrNull?.LoseConnection();
        return false;
    }
}
