using System.Net;

namespace AsyncCore.Protocols;

/// <summary>
/// A protocol that wraps another one and is the transport the inner protocol sees (Twisted's
/// <c>policies.ProtocolWrapper</c>). Override members to watch or alter the traffic; the defaults forward everything.
/// </summary>
public class ProtocolWrapper : Protocol, ITransport, IHalfCloseableProtocol, IAbortWithReason
{
    /// <summary>Wraps <paramref name="wrappedProtocol"/> for <paramref name="factory"/>.</summary>
    public ProtocolWrapper(WrappingFactory factory, IProtocol wrappedProtocol)
    {
        WrappingFactory = factory ?? throw new ArgumentNullException(nameof(factory));
        WrappedProtocol = wrappedProtocol ?? throw new ArgumentNullException(nameof(wrappedProtocol));
        Factory = factory;
    }

    /// <summary>The factory that built this wrapper.</summary>
    public WrappingFactory WrappingFactory { get; }

    /// <summary>The protocol inside.</summary>
    public IProtocol WrappedProtocol { get; }

    /// <inheritdoc />
    public override void MakeConnection(ITransport transport)
    {
        WrappingFactory.RegisterProtocol(this);
        Transport = transport;
        Connected = true;
        ConnectionMade();
    }

    /// <inheritdoc />
    public override void ConnectionMade() => WrappedProtocol.MakeConnection(this);

    /// <inheritdoc />
    public override void DataReceived(ReadOnlySpan<byte> data) => WrappedProtocol.DataReceived(data);

    /// <inheritdoc />
    public override void ConnectionLost(Failure reason)
    {
        WrappingFactory.UnregisterProtocol(this);
        Connected = false;
        WrappedProtocol.ConnectionLost(reason);
    }

    /// <inheritdoc />
    public virtual void ReadConnectionLost() => (WrappedProtocol as IHalfCloseableProtocol)?.ReadConnectionLost();

    /// <inheritdoc />
    public virtual void WriteConnectionLost() => (WrappedProtocol as IHalfCloseableProtocol)?.WriteConnectionLost();

    /// <inheritdoc />
    public virtual void Write(ReadOnlySpan<byte> data) => Transport.Write(data);

    /// <inheritdoc />
    public virtual void WriteSequence(IEnumerable<ReadOnlyMemory<byte>> data) => Transport.WriteSequence(data);

    /// <inheritdoc />
    public virtual void LoseConnection() => Transport.LoseConnection();

    /// <inheritdoc />
    public virtual void AbortConnection() => Transport.AbortConnection();

    /// <inheritdoc />
    void IAbortWithReason.AbortConnection(Exception reason)
    {
        if (Transport is IAbortWithReason withReason)
        {
            withReason.AbortConnection(reason);
        }
        else
        {
            Transport.AbortConnection();
        }
    }

    /// <inheritdoc />
    public virtual void LoseWriteConnection() => Transport.LoseWriteConnection();

    /// <inheritdoc />
    public bool Disconnecting => Transport.Disconnecting;

    /// <inheritdoc />
    public EndPoint? GetPeer() => Transport.GetPeer();

    /// <inheritdoc />
    public EndPoint? GetHost() => Transport.GetHost();

    /// <inheritdoc />
    public virtual void RegisterProducer(IProducer producer, bool streaming) => Transport.RegisterProducer(producer, streaming);

    /// <inheritdoc />
    public virtual void UnregisterProducer() => Transport.UnregisterProducer();

    /// <inheritdoc />
    public virtual void PauseProducing() => Transport.PauseProducing();

    /// <inheritdoc />
    public virtual void ResumeProducing() => Transport.ResumeProducing();

    /// <inheritdoc />
    public virtual void StopProducing() => Transport.StopProducing();
}
