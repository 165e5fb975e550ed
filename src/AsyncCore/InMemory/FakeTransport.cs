using System.Net;
using AsyncCore.Protocols;

namespace AsyncCore.InMemory;

/// <summary>
/// One end of an in-memory connection made by <see cref="Loopback"/> (Twisted's <c>iosim.FakeTransport</c>). Writes are
/// buffered until an <see cref="IOPump"/> moves them; the transport applies the same producer rules as a socket transport
/// (push producers paused above <see cref="HighWaterMark"/> and resumed once drained; pull producers asked after each pump).
/// </summary>
public sealed class FakeTransport : ITransport
{
    private readonly Queue<byte[]> _outgoing = new();
    private long _outgoingBytes;
    private IProducer? _producer;
    private bool _streaming;
    private bool _producerPaused;

    internal FakeTransport(IProtocol protocol, bool isServer, EndPoint host, EndPoint peer)
    {
        Protocol = protocol;
        IsServer = isServer;
        HostAddress = host;
        PeerAddress = peer;
    }

    /// <summary>The protocol on this end.</summary>
    public IProtocol Protocol { get; }

    /// <summary>True for the server end.</summary>
    public bool IsServer { get; }

    /// <summary>The local address.</summary>
    public EndPoint HostAddress { get; }

    /// <summary>The remote address.</summary>
    public EndPoint PeerAddress { get; }

    /// <summary>The buffered bytes above which a push producer is paused (64 KiB).</summary>
    public int HighWaterMark { get; set; } = 64 * 1024;

    /// <summary>True while reading is paused (the protocol called <see cref="PauseProducing"/>).</summary>
    public bool ReadPaused { get; private set; }

    /// <inheritdoc />
    public bool Disconnecting { get; private set; }

    /// <summary>True once the connection is gone and the protocol was told.</summary>
    public bool Disconnected { get; internal set; }

    /// <summary>True after <see cref="AbortConnection"/>.</summary>
    public bool Aborted { get; private set; }

    /// <summary>True after <see cref="LoseWriteConnection"/>.</summary>
    public bool WriteClosed { get; private set; }

    /// <summary>The bytes waiting to be pumped to the peer.</summary>
    public long BufferedBytes => _outgoingBytes;

    internal IOPump? Pump { get; set; }

    internal IProducer? Producer => _producer;

    internal bool StreamingProducer => _streaming;

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> data)
    {
        if (Disconnecting || WriteClosed || Disconnected || data.IsEmpty)
        {
            return;
        }
        _outgoing.Enqueue(data.ToArray());
        _outgoingBytes += data.Length;
        if (_producer is IPushProducer push && _streaming && !_producerPaused && _outgoingBytes > HighWaterMark)
        {
            _producerPaused = true;
            push.PauseProducing();
        }
        Pump?.Schedule();
    }

    /// <inheritdoc />
    public void WriteSequence(IEnumerable<ReadOnlyMemory<byte>> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        foreach (var chunk in data)
        {
            Write(chunk.Span);
        }
    }

    /// <inheritdoc />
    public void LoseConnection()
    {
        Disconnecting = true;
        Pump?.Schedule();
    }

    /// <inheritdoc />
    public void AbortConnection()
    {
        if (Aborted)
        {
            return;
        }
        Aborted = true;
        Disconnecting = true;
        _outgoing.Clear();
        _outgoingBytes = 0;
        Pump?.Schedule();
    }

    /// <inheritdoc />
    public void LoseWriteConnection()
    {
        WriteClosed = true;
        Pump?.Schedule();
    }

    /// <inheritdoc />
    public EndPoint? GetPeer() => PeerAddress;

    /// <inheritdoc />
    public EndPoint? GetHost() => HostAddress;

    /// <inheritdoc />
    public void RegisterProducer(IProducer producer, bool streaming)
    {
        ArgumentNullException.ThrowIfNull(producer);
        if (_producer is not null)
        {
            throw new InvalidOperationException($"Cannot register producer {producer}, because {_producer} is already registered.");
        }
        if (Disconnected)
        {
            producer.StopProducing();
            return;
        }
        _producer = producer;
        _streaming = streaming;
        _producerPaused = false;
        if (!streaming)
        {
            ((IPullProducer)producer).ResumeProducing();
        }
    }

    /// <inheritdoc />
    public void UnregisterProducer()
    {
        _producer = null;
        Pump?.Schedule();
    }

    /// <inheritdoc />
    public void PauseProducing() => ReadPaused = true;

    /// <inheritdoc />
    public void ResumeProducing()
    {
        ReadPaused = false;
        Pump?.Schedule();
    }

    /// <inheritdoc />
    public void StopProducing() => LoseConnection();

    /// <summary>Takes the oldest buffered chunk, for the pump.</summary>
    internal bool TryTakeChunk(out byte[] chunk)
    {
        if (_outgoing.TryDequeue(out chunk!))
        {
            _outgoingBytes -= chunk.Length;
            return true;
        }
        return false;
    }

    internal bool EndOfStreamSent { get; set; }

    /// <summary>Called by the pump once the buffer was moved: resumes or asks the producer for more.</summary>
    internal bool AfterDrain()
    {
        if (_producer is null || Disconnected)
        {
            return false;
        }
        if (_streaming)
        {
            if (_producerPaused && _outgoingBytes == 0)
            {
                _producerPaused = false;
                ((IPushProducer)_producer).ResumeProducing();
                return true;
            }
            return false;
        }
        ((IPullProducer)_producer).ResumeProducing();
        return true;
    }

    /// <summary>The connection is gone: stop the producer and tell the protocol.</summary>
    internal void Lose(Failure reason)
    {
        if (Disconnected)
        {
            return;
        }
        Disconnected = true;
        Disconnecting = true;
        var producer = _producer;
        _producer = null;
        producer?.StopProducing();
        Protocol.ConnectionLost(reason);
    }

    /// <summary>
    /// True when the close requested by <see cref="LoseConnection"/> can happen: nothing left to send and no pull (or paused
    /// push) producer, as in Twisted's <c>doWrite</c>.
    /// </summary>
    internal bool ReadyToClose => Disconnecting && _outgoingBytes == 0 && (_producer is null || Aborted || (_streaming && !_producerPaused));
}
