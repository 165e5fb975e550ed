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

    public HashSet<IStreamConnection> Connections { get; } = [];

    public HashSet<IClosable> Ports { get; } = [];

    /// <summary>
    /// Makes the transport for a connected socket: the reactor's own readiness transport when it has one (plain
    /// connections on the epoll reactor), completions resumed on the reactor thread otherwise (and always for TLS, which
    /// needs a stream).
    /// </summary>
    public IStreamConnection CreateTransport(ReactorBase reactor, System.Net.Sockets.Socket socket, System.Net.Security.SslStream? tls) =>
        (reactor as NetworkReactorBase)?.CreateReadinessTransport(socket, tls, this) ?? new TcpTransport(reactor, socket, tls, this);

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

/// <summary>A live stream connection, closed at reactor shutdown.</summary>
internal interface IStreamConnection
{
    void CloseNow(Failure reason);

    Action<Failure>? OnLost { get; set; }

    void Start(Protocols.IProtocol protocol);
}
