using AsyncCore.Protocols;

namespace AsyncCore.Endpoints;

/// <summary>Where a server listens (Twisted's <c>IStreamServerEndpoint</c>).</summary>
public interface IStreamServerEndpoint
{
    /// <summary>Starts listening; a failure (for example <see cref="CannotListenException"/>) comes back in the Deferred.</summary>
    Deferred<IListeningPort> Listen(Factory factory);
}

/// <summary>Where a client connects to (Twisted's <c>IStreamClientEndpoint</c>).</summary>
public interface IStreamClientEndpoint
{
    /// <summary>
    /// Connects and fires with the protocol built by <paramref name="factory"/>, after its
    /// <see cref="IProtocol.ConnectionMade"/> ran. Fails with the connection error, or <see cref="NoProtocolException"/> when
    /// the factory builds none; cancelling it stops connecting (<see cref="ConnectingCancelledException"/>).
    /// </summary>
    Deferred<IProtocol> Connect(Factory factory);
}
