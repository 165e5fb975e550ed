using System.Net;

namespace AsyncCore.Protocols;

/// <summary>
/// A factory that wraps each protocol of another factory in a <see cref="ProtocolWrapper"/> and tracks the live ones
/// (Twisted's <c>policies.WrappingFactory</c>). Starting, stopping and client events are forwarded to the wrapped factory.
/// </summary>
public class WrappingFactory : ClientFactory
{
    private readonly HashSet<ProtocolWrapper> _protocols = [];

    /// <summary>Wraps <paramref name="wrappedFactory"/>.</summary>
    public WrappingFactory(Factory wrappedFactory)
    {
        WrappedFactory = wrappedFactory ?? throw new ArgumentNullException(nameof(wrappedFactory));
        Noisy = false;
    }

    /// <summary>The factory whose protocols are wrapped.</summary>
    public Factory WrappedFactory { get; }

    /// <summary>The wrappers whose connection is live.</summary>
    public IReadOnlyCollection<ProtocolWrapper> Protocols => _protocols;

    /// <inheritdoc />
    public override IProtocol? BuildProtocol(EndPoint? address)
    {
        var inner = WrappedFactory.BuildProtocol(address);
        return inner is null ? null : WrapProtocol(inner);
    }

    /// <summary>Makes the wrapper for <paramref name="inner"/>; override to use a <see cref="ProtocolWrapper"/> subclass.</summary>
    protected virtual ProtocolWrapper WrapProtocol(IProtocol inner) => new(this, inner);

    /// <summary>Called by a wrapper when its connection is made.</summary>
    public virtual void RegisterProtocol(ProtocolWrapper protocol) => _protocols.Add(protocol);

    /// <summary>Called by a wrapper when its connection is lost.</summary>
    public virtual void UnregisterProtocol(ProtocolWrapper protocol) => _protocols.Remove(protocol);

    /// <inheritdoc />
    protected override void StartFactory()
    {
        WrappedFactory.DoStart();
        base.StartFactory();
    }

    /// <inheritdoc />
    protected override void StopFactory()
    {
        WrappedFactory.DoStop();
        base.StopFactory();
    }

    /// <inheritdoc />
    public override void StartedConnecting(IConnector connector) => (WrappedFactory as ClientFactory)?.StartedConnecting(connector);

    /// <inheritdoc />
    public override void ClientConnectionFailed(IConnector connector, Failure reason) =>
        (WrappedFactory as ClientFactory)?.ClientConnectionFailed(connector, reason);

    /// <inheritdoc />
    public override void ClientConnectionLost(IConnector connector, Failure reason) =>
        (WrappedFactory as ClientFactory)?.ClientConnectionLost(connector, reason);
}
