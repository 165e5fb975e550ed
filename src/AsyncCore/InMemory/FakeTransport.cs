using System.Net;
using AsyncCore.Protocols;
using AsyncCore.Transports;
using Microsoft.Extensions.Logging;

namespace AsyncCore.InMemory;

/// <summary>
/// One end of an in-memory connection made by <see cref="Loopback"/> (Twisted's <c>iosim.FakeTransport</c>). Writes are
/// buffered until an <see cref="IOPump"/> moves them; the transport applies the same producer rules as a socket transport
/// (push producers paused above <see cref="HighWaterMark"/> and resumed once drained; pull producers asked after each pump).
/// </summary>
public sealed class FakeTransport : ITransport, IAbortWithReason
{
    private static readonly ILogger Logger = AsyncCoreLogging.CreateLogger("AsyncCore.InMemory.FakeTransport");

    private readonly Queue<byte[]> _outgoing = new();
    // The socket transports' producer bookkeeping, so that in-memory tests see the same producer rules.
    private readonly ProducerFlow _flow = new();
    private long _outgoingBytes;

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
    public int HighWaterMark
    {
        get => _flow.HighWaterMark;
        set => _flow.HighWaterMark = value;
    }

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

    internal IProducer? Producer => _flow.Producer;

    internal bool StreamingProducer => _flow.Streaming;

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> data)
    {
        if (Disconnecting || WriteClosed || Disconnected || data.IsEmpty)
        {
            return;
        }
        _outgoing.Enqueue(data.ToArray());
        _outgoingBytes += data.Length;
        _flow.PauseIfAbove(_outgoingBytes);
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
    void IAbortWithReason.AbortConnection(Exception reason)
    {
        if (Aborted || Disconnected)
        {
            return;
        }
        AbortReason = reason;
        AbortConnection();
    }

    /// <summary>
    /// The reason the protocol closed the connection with (<see cref="LineReceiver.StopParsing"/>): its
    /// <see cref="IProtocol.ConnectionLost"/> gets it, and the peer sees a clean close.
    /// </summary>
    public Exception? AbortReason { get; private set; }

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
    public void RegisterProducer(IProducer producer, bool streaming) => _flow.Register(producer, streaming, _outgoingBytes, Disconnected);

    /// <inheritdoc />
    public void UnregisterProducer()
    {
        _flow.Unregister();
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
        if (_flow.Producer is null || Disconnected)
        {
            return false;
        }
        if (_flow.HasPullProducer)
        {
            _flow.AskForMore();
            return true;
        }
        var paused = _flow.Paused;
        _flow.ResumeIfBelow(_outgoingBytes);
        return paused && !_flow.Paused;
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
        _flow.Stop(Logger);
        Protocol.ConnectionLost(reason);
    }

    /// <summary>
    /// True when the close requested by <see cref="LoseConnection"/> can happen: nothing left to send and no pull (or paused
    /// push) producer, as in Twisted's <c>doWrite</c>.
    /// </summary>
    internal bool ReadyToClose => Disconnecting && _outgoingBytes == 0 && (Aborted || !_flow.IsWaiting);
}
