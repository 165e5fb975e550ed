using System.Net;

namespace AsyncCore.Protocols;

/// <summary>A protocol for datagrams (Twisted's <c>DatagramProtocol</c>). Every method runs on the reactor thread.</summary>
public abstract class DatagramProtocol
{
    private IDatagramTransport? _transport;

    /// <summary>The transport; throws before the protocol is started.</summary>
    /// <exception cref="InvalidOperationException">The protocol is not started.</exception>
    public IDatagramTransport Transport => _transport ?? throw new InvalidOperationException($"{GetType().Name} is not started.");

    /// <summary>Attaches the transport and calls <see cref="StartProtocol"/>.</summary>
    public void MakeConnection(IDatagramTransport transport)
    {
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        StartProtocol();
    }

    /// <summary>Called once the socket is bound.</summary>
    public virtual void StartProtocol()
    {
    }

    /// <summary>Called once the socket is closed.</summary>
    public virtual void StopProtocol()
    {
    }

    /// <summary>Called with each datagram. The span is valid only during the call.</summary>
    public abstract void DatagramReceived(ReadOnlySpan<byte> data, EndPoint from);
}

/// <summary>The transport of a <see cref="DatagramProtocol"/> (Twisted's <c>IUDPTransport</c>).</summary>
public interface IDatagramTransport
{
    /// <summary>Sends one datagram to <paramref name="to"/>; the bytes are copied.</summary>
    void Write(ReadOnlySpan<byte> data, EndPoint to);

    /// <summary>The bound address.</summary>
    EndPoint GetHost();

    /// <summary>Closes the socket; <see cref="DatagramProtocol.StopProtocol"/> follows.</summary>
    Deferred<object?> StopListening();
}
