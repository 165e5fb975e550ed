namespace AsyncCore.Protocols;

/// <summary>
/// The base class for stream protocols (Twisted's <c>Protocol</c>): override <see cref="ConnectionMade"/>,
/// <see cref="DataReceived"/> and <see cref="ConnectionLost"/>; write through <see cref="Transport"/>.
/// </summary>
public abstract class Protocol : IProtocol
{
    private ITransport? _transport;

    /// <summary>The transport; throws while the protocol is not connected to one.</summary>
    /// <exception cref="InvalidOperationException">No transport is attached.</exception>
    public ITransport Transport
    {
        get => _transport ?? throw new InvalidOperationException($"{GetType().Name} has no transport yet.");
        set => _transport = value;
    }

    /// <summary>True once a transport is attached (it stays attached after the connection is lost, as in Twisted).</summary>
    public bool HasTransport => _transport is not null;

    /// <summary>The transport or null, for code that must work before the connection is made.</summary>
    protected ITransport? TransportOrNull => _transport;

    /// <summary>True between <see cref="MakeConnection"/> and <see cref="ConnectionLost"/>.</summary>
    public bool Connected { get; protected set; }

    /// <summary>The factory that built this protocol, set by <see cref="Factory.BuildProtocol"/>.</summary>
    public Factory? Factory { get; set; }

    /// <inheritdoc />
    public virtual void MakeConnection(ITransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        Connected = true;
        _transport = transport;
        ConnectionMade();
    }

    /// <inheritdoc />
    public virtual void ConnectionMade()
    {
    }

    /// <inheritdoc />
    public virtual void DataReceived(ReadOnlySpan<byte> data)
    {
    }

    /// <inheritdoc />
    public virtual void ConnectionLost(Failure reason)
    {
        Connected = false;
    }
}
