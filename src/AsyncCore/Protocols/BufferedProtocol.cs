namespace AsyncCore.Protocols;

/// <summary>
/// A protocol that frames a byte stream: what arrives is appended to a receive buffer, and <see cref="ParseBuffer"/>
/// takes complete messages out of it. Data that arrives while a message callback is running (a callback that feeds the
/// protocol, or a transport delivering re-entrantly) is only appended; the parsing loop already running picks it up,
/// so messages are never delivered out of order or nested (the rule Twisted's receivers follow).
/// </summary>
public abstract class BufferedProtocol : Protocol
{
    private protected ReceiveBuffer _buffer;
    private bool _busyReceiving;

    /// <inheritdoc />
    public override void DataReceived(ReadOnlySpan<byte> data)
    {
        if (_busyReceiving)
        {
            _buffer.Append(data, mayCompact: false);
            return;
        }
        _busyReceiving = true;
        try
        {
            _buffer.Append(data, mayCompact: true);
            ParseBuffer();
        }
        finally
        {
            _busyReceiving = false;
        }
    }

    /// <summary>Takes every complete message out of the buffer and delivers it.</summary>
    private protected abstract void ParseBuffer();
}
