using System.Net;
using AsyncCore.Protocols;

namespace AsyncCore.InMemory;

/// <summary>
/// A transport that records what is written, for unit tests of protocols (Twisted's <c>internet.testing.StringTransport</c>).
/// <see cref="LoseConnection"/> only sets <see cref="Disconnecting"/>; nothing calls <see cref="IProtocol.ConnectionLost"/>.
/// </summary>
public class StringTransport : ITransport, IAbortWithReason
{
    private readonly MemoryStream _written = new();

    /// <summary>Creates the transport with Twisted's default addresses (10.0.0.1:12345 and peer 192.168.1.1:54321).</summary>
    public StringTransport(EndPoint? hostAddress = null, EndPoint? peerAddress = null)
    {
        HostAddress = hostAddress ?? new IPEndPoint(IPAddress.Parse("10.0.0.1"), 12345);
        PeerAddress = peerAddress ?? new IPEndPoint(IPAddress.Parse("192.168.1.1"), 54321);
    }

    /// <summary>The local address reported by <see cref="GetHost"/>.</summary>
    public EndPoint HostAddress { get; }

    /// <summary>The remote address reported by <see cref="GetPeer"/>.</summary>
    public EndPoint PeerAddress { get; }

    /// <summary>The registered producer.</summary>
    public IProducer? Producer { get; private set; }

    /// <summary>Whether the registered producer is streaming.</summary>
    public bool Streaming { get; private set; }

    /// <summary>The state of the transport as a producer of incoming data.</summary>
    public ProducerState ProducerState { get; private set; } = ProducerState.Producing;

    /// <inheritdoc />
    public bool Disconnecting { get; private set; }

    /// <summary>True after <see cref="AbortConnection"/>.</summary>
    public bool Disconnected { get; private set; }

    /// <summary>True after <see cref="LoseWriteConnection"/>.</summary>
    public bool WriteClosed { get; private set; }

    /// <summary>The bytes written so far.</summary>
    public byte[] Value() => _written.ToArray();

    /// <summary>Forgets the bytes written so far.</summary>
    public void Clear() => _written.SetLength(0);

    /// <inheritdoc />
    public virtual void Write(ReadOnlySpan<byte> data) => _written.Write(data);

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
    public virtual void LoseConnection() => Disconnecting = true;

    /// <inheritdoc />
    public void AbortConnection()
    {
        Disconnecting = true;
        Disconnected = true;
    }

    /// <inheritdoc />
    void IAbortWithReason.AbortConnection(Exception reason)
    {
        if (!Disconnected)
        {
            AbortReason = reason;
            AbortConnection();
        }
    }

    /// <summary>The reason the protocol closed the connection with (<see cref="LineReceiver.StopParsing"/>), if any.</summary>
    public Exception? AbortReason { get; private set; }

    /// <inheritdoc />
    public void LoseWriteConnection() => WriteClosed = true;

    /// <inheritdoc />
    public EndPoint? GetPeer() => PeerAddress;

    /// <inheritdoc />
    public EndPoint? GetHost() => HostAddress;

    /// <inheritdoc />
    public void RegisterProducer(IProducer producer, bool streaming)
    {
        ArgumentNullException.ThrowIfNull(producer);
        if (Producer is not null)
        {
            throw new InvalidOperationException("Cannot register two producers");
        }
        Producer = producer;
        Streaming = streaming;
    }

    /// <inheritdoc />
    public void UnregisterProducer()
    {
        if (Producer is null)
        {
            throw new InvalidOperationException("Cannot unregister a producer unless one is registered");
        }
        Producer = null;
    }

    /// <inheritdoc />
    public void PauseProducing()
    {
        CheckState();
        ProducerState = ProducerState.Paused;
    }

    /// <inheritdoc />
    public void ResumeProducing()
    {
        CheckState();
        ProducerState = ProducerState.Producing;
    }

    /// <inheritdoc />
    public void StopProducing() => ProducerState = ProducerState.Stopped;

    private void CheckState()
    {
        if (Disconnecting)
        {
            throw new InvalidOperationException("Cannot resume producing after loseConnection");
        }
        if (ProducerState == ProducerState.Stopped)
        {
            throw new InvalidOperationException("Cannot resume a stopped producer");
        }
    }
}

/// <summary>The states of a producer, as <see cref="StringTransport"/> records them.</summary>
public enum ProducerState
{
    /// <summary>Producing.</summary>
    Producing,

    /// <summary>Paused.</summary>
    Paused,

    /// <summary>Stopped for good.</summary>
    Stopped,
}
