using AsyncCore.Reactor;

namespace AsyncCore.Transports;

/// <summary>
/// The connections and ports of one reactor, so that shutdown can close them (Twisted's <c>disconnectAll</c>, run during
/// shutdown: every connection gets <see cref="Protocols.IProtocol.ConnectionLost"/> with a connection-lost reason).
/// </summary>
internal sealed class NetworkRegistry
{
    public NetworkRegistry(ReactorBase reactor)
    {
        reactor.AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Shutdown, DisconnectAll);
    }

    public HashSet<TcpTransport> Connections { get; } = [];

    public HashSet<IClosable> Ports { get; } = [];

    private void DisconnectAll()
    {
        foreach (var port in Ports.ToArray())
        {
            port.CloseForShutdown();
        }
        foreach (var connection in Connections.ToArray())
        {
            connection.CloseNow(new Failure(new Protocols.ConnectionLostException("The reactor shut down.")));
        }
    }
}

/// <summary>A port closed at reactor shutdown.</summary>
internal interface IClosable
{
    void CloseForShutdown();
}
