namespace AsyncCore.Protocols;

/// <summary>A factory for listening ports (Twisted's <c>ServerFactory</c>).</summary>
public class ServerFactory : Factory
{
    /// <summary>Creates a factory whose <see cref="Factory.BuildProtocol"/> must be overridden.</summary>
    public ServerFactory()
    {
    }

    /// <summary>Creates a factory that builds protocols with <paramref name="protocolFactory"/>.</summary>
    public ServerFactory(Func<IProtocol> protocolFactory) : base(protocolFactory)
    {
    }
}
