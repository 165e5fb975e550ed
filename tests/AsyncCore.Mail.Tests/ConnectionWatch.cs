using AsyncCore.Protocols;

namespace AsyncCore.Mail.Tests;

/// <summary>Wraps a server factory and fires <see cref="Closed"/> when its first connection is gone.</summary>
internal sealed class ConnectionWatch(Factory inner) : WrappingFactory(inner)
{
    public Deferred<bool> Closed { get; } = new();

    public override void UnregisterProtocol(ProtocolWrapper protocol)
    {
        base.UnregisterProtocol(protocol);
        if (!Closed.Called)
        {
            Closed.Callback(true);
        }
    }
}
