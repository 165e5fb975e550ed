namespace AsyncCore.Protocols;

/// <summary>
/// A factory for outgoing connections (Twisted's <c>ClientFactory</c>), told about the connector's progress.
/// </summary>
public class ClientFactory : Factory
{
    /// <summary>Creates a factory whose <see cref="Factory.BuildProtocol"/> must be overridden.</summary>
    public ClientFactory()
    {
    }

    /// <summary>Creates a factory that builds protocols with <paramref name="protocolFactory"/>.</summary>
    public ClientFactory(Func<IProtocol> protocolFactory) : base(protocolFactory)
    {
    }

    /// <summary>A connection attempt started.</summary>
    public virtual void StartedConnecting(IConnector connector)
    {
    }

    /// <summary>A connection attempt failed (refused, timed out, name not found...).</summary>
    public virtual void ClientConnectionFailed(IConnector connector, Failure reason)
    {
    }

    /// <summary>An established connection ended.</summary>
    public virtual void ClientConnectionLost(IConnector connector, Failure reason)
    {
    }
}
