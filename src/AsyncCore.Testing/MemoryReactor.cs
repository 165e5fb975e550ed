using System.Collections.Concurrent;
using System.Net;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Tasks;
using AsyncCore.Transports;

namespace AsyncCore.Testing;

/// <summary>
/// A reactor that does no I/O (Twisted's <c>internet.testing.MemoryReactor</c>): every listen and connect call is
/// recorded, with its factory, in <see cref="TcpServers"/>, <see cref="TcpClients"/> and the other lists, and the test
/// plays the network's part, connecting the recorded factories to protocols over <see cref="StringTransport"/>
/// (<see cref="MemoryPort.Connect"/>, <see cref="MemoryConnector.Accept"/>, <see cref="MemoryConnector.Fail"/>).
/// Time is a <see cref="Tasks.Clock"/> that moves only when the test advances it (see <see cref="MemoryReactorClock"/>).
/// </summary>
/// <remarks>
/// <para>
/// It implements <see cref="INetworkReactor"/>, so code written against a reactor interface runs on it unchanged.
/// <see cref="Run"/> does not block: it fires the startup event and the <see cref="CallWhenRunning"/> calls and returns;
/// <see cref="Stop"/> fires the shutdown event. System events run their before, during and after triggers at once: a
/// Deferred returned by a before trigger is not waited for.
/// </para>
/// <para>
/// Threads are deterministic too: <see cref="CallInThread"/> runs the work at once on the calling thread, and
/// <see cref="CallFromThread"/> queues the call until <see cref="RunThreadCalls"/> (which
/// <see cref="MemoryReactorClock.Advance"/> calls first). Like Twisted's, it is not thread-safe apart from
/// <see cref="CallFromThread"/>: use it from the test's thread.
/// </para>
/// </remarks>
public class MemoryReactor : INetworkReactor
{
    /// <summary>The port <see cref="MemoryPort.GetHost"/> reports for a listen on port 0.</summary>
    public const int AssignedPort = 49152;

    private readonly int _threadId = Environment.CurrentManagedThreadId;
    private readonly ConcurrentQueue<Action> _threadCalls = new();
    private readonly List<Action> _whenRunning = [];
    private readonly List<(SystemEventTrigger Trigger, Func<Deferred?> Callable)> _triggers = [];
    private readonly List<MemoryPort> _ports = [];
    private readonly List<MemoryConnector> _connectors = [];
    private readonly List<StringTransport> _connections = [];

    /// <summary>Creates the reactor on <paramref name="clock"/> (a new <see cref="Tasks.Clock"/> when null).</summary>
    public MemoryReactor(Clock? clock = null) => Clock = clock ?? new Clock();

    /// <summary>The reactor's time: advance it to run delayed calls.</summary>
    public Clock Clock { get; }

    /// <summary>True from <see cref="Run"/> until <see cref="Stop"/>.</summary>
    public bool Running { get; private set; }

    /// <summary>True once <see cref="Run"/> was called.</summary>
    public bool HasRun { get; private set; }

    /// <summary>True once <see cref="Stop"/> was called.</summary>
    public bool HasStopped { get; private set; }

    /// <summary>The size last given to <see cref="SuggestThreadPoolSize"/>, or null.</summary>
    public int? SuggestedThreadPoolSize { get; private set; }

    /// <summary>The <c>ListenTcp</c> calls, in order.</summary>
    public IReadOnlyList<MemoryPort> TcpServers => Ports(MemoryConnectionKind.Tcp);

    /// <summary>The <c>ListenSsl</c> calls, in order.</summary>
    public IReadOnlyList<MemoryPort> SslServers => Ports(MemoryConnectionKind.Ssl);

    /// <summary>The <c>ListenUnix</c> calls, in order.</summary>
    public IReadOnlyList<MemoryPort> UnixServers => Ports(MemoryConnectionKind.Unix);

    /// <summary>The <c>ListenUdp</c> calls, in order.</summary>
    public IReadOnlyList<MemoryPort> UdpPorts => Ports(MemoryConnectionKind.Udp);

    /// <summary>The <c>ConnectTcp</c> calls, in order.</summary>
    public IReadOnlyList<MemoryConnector> TcpClients => Connectors(MemoryConnectionKind.Tcp);

    /// <summary>The <c>ConnectSsl</c> calls, in order.</summary>
    public IReadOnlyList<MemoryConnector> SslClients => Connectors(MemoryConnectionKind.Ssl);

    /// <summary>The <c>ConnectUnix</c> calls, in order.</summary>
    public IReadOnlyList<MemoryConnector> UnixClients => Connectors(MemoryConnectionKind.Unix);

    /// <summary>Every connect call, in order (Twisted's <c>connectors</c>).</summary>
    public IReadOnlyList<MemoryConnector> AllConnectors => _connectors.ToArray();

    /// <inheritdoc />
    public TimeSpan Now => Clock.Now;

    /// <inheritdoc />
    public TimeProvider TimeProvider => Clock;

    /// <inheritdoc />
    public bool IsReactorThread => Environment.CurrentManagedThreadId == _threadId;

    /// <summary>The ports that are still listening (for the end-of-test checks).</summary>
    public IReadOnlyList<MemoryPort> GetListeningPorts() => _ports.Where(p => p.Listening).ToArray();

    /// <summary>
    /// The connections made through <see cref="MemoryPort.Connect"/> and <see cref="MemoryConnector.Accept"/> whose
    /// transport was neither closed nor aborted (for the end-of-test checks).
    /// </summary>
    public IReadOnlyList<StringTransport> GetOpenConnections() => _connections.Where(t => !t.Disconnecting).ToArray();

    /// <summary>Fires the startup event and runs the <see cref="CallWhenRunning"/> calls, then returns.</summary>
    /// <exception cref="ReactorAlreadyRunningException">The reactor is running.</exception>
    public void Run()
    {
        if (Running)
        {
            throw new ReactorAlreadyRunningException();
        }
        Running = true;
        HasRun = true;
        FireSystemEvent(SystemEvents.Startup);
        var calls = _whenRunning.ToArray();
        _whenRunning.Clear();
        foreach (var call in calls)
        {
            call();
        }
    }

    /// <summary>Fires the shutdown event; <see cref="Running"/> becomes false.</summary>
    /// <exception cref="ReactorNotRunningException">The reactor is not running.</exception>
    public void Stop()
    {
        if (!Running)
        {
            throw new ReactorNotRunningException();
        }
        HasStopped = true;
        FireSystemEvent(SystemEvents.Shutdown);
        Running = false;
    }

    /// <inheritdoc />
    public void CallWhenRunning(Action callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        if (Running)
        {
            callable();
        }
        else
        {
            _whenRunning.Add(callable);
        }
    }

    /// <inheritdoc />
    public SystemEventTrigger AddSystemEventTrigger(SystemEventPhase phase, string eventType, Action callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        return AddSystemEventTrigger(phase, eventType, () =>
        {
            callable();
            return null;
        });
    }

    /// <inheritdoc />
    public SystemEventTrigger AddSystemEventTrigger(SystemEventPhase phase, string eventType, Func<Deferred?> callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        var trigger = new SystemEventTrigger(phase, eventType);
        _triggers.Add((trigger, callable));
        return trigger;
    }

    /// <inheritdoc />
    public void RemoveSystemEventTrigger(SystemEventTrigger trigger)
    {
        var index = _triggers.FindIndex(t => ReferenceEquals(t.Trigger, trigger));
        if (index < 0)
        {
            throw new ArgumentException("Unknown or already removed trigger.", nameof(trigger));
        }
        _triggers.RemoveAt(index);
    }

    /// <summary>Runs the triggers of <paramref name="eventType"/>: before, during, then after, each once.</summary>
    public void FireSystemEvent(string eventType)
    {
        foreach (var phase in (SystemEventPhase[])[SystemEventPhase.Before, SystemEventPhase.During, SystemEventPhase.After])
        {
            var due = _triggers.Where(t => t.Trigger.Phase == phase && t.Trigger.EventType == eventType).ToArray();
            foreach (var entry in due)
            {
                _triggers.Remove(entry);
                _ = entry.Callable();
            }
        }
    }

    /// <inheritdoc />
    public IDelayedCall CallLater(TimeSpan delay, Action callable) => Clock.CallLater(delay, callable);

    /// <inheritdoc />
    public IReadOnlyList<IDelayedCall> GetDelayedCalls() => Clock.GetDelayedCalls();

    /// <summary>Queues <paramref name="callable"/> until <see cref="RunThreadCalls"/>. Thread-safe.</summary>
    public void CallFromThread(Action callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        _threadCalls.Enqueue(callable);
    }

    /// <summary>Runs the calls queued by <see cref="CallFromThread"/> (also those they queue); returns how many ran.</summary>
    public int RunThreadCalls()
    {
        var count = 0;
        while (_threadCalls.TryDequeue(out var call))
        {
            call();
            count++;
        }
        return count;
    }

    /// <summary>Runs <paramref name="callable"/> at once, on the calling thread (deterministic, for tests).</summary>
    public void CallInThread(Action callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        callable();
    }

    /// <summary>Records the size in <see cref="SuggestedThreadPoolSize"/>.</summary>
    public void SuggestThreadPoolSize(int size) => SuggestedThreadPoolSize = size;

    /// <summary>Records the call in <see cref="TcpServers"/> and returns its port.</summary>
    public IListeningPort ListenTcp(int port, Factory factory, int backlog = 50, string interfaceAddress = "")
    {
        ArgumentNullException.ThrowIfNull(factory);
        return AddPort(new MemoryPort(this, MemoryConnectionKind.Tcp, HostOf(interfaceAddress, port))
        {
            Port = port,
            Factory = factory,
            Backlog = backlog,
            InterfaceAddress = interfaceAddress,
        });
    }

    /// <summary>Records the call in <see cref="TcpClients"/>, tells the factory it started connecting, and returns the connector.</summary>
    public IConnector ConnectTcp(string host, int port, ClientFactory factory, TimeSpan? timeout = null, EndPoint? bindAddress = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(factory);
        return AddConnector(new MemoryConnector(this, MemoryConnectionKind.Tcp, factory, DestinationOf(host, port))
        {
            Host = host,
            Port = port,
            Timeout = timeout,
            BindAddress = bindAddress,
        });
    }

    /// <summary>Records the call in <see cref="SslServers"/> and returns its port.</summary>
    public IListeningPort ListenSsl(int port, Factory factory, TlsServerOptions options, int backlog = 50, string interfaceAddress = "")
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        return AddPort(new MemoryPort(this, MemoryConnectionKind.Ssl, HostOf(interfaceAddress, port))
        {
            Port = port,
            Factory = factory,
            TlsOptions = options,
            Backlog = backlog,
            InterfaceAddress = interfaceAddress,
        });
    }

    /// <summary>Records the call in <see cref="SslClients"/>, tells the factory it started connecting, and returns the connector.</summary>
    public IConnector ConnectSsl(string host, int port, ClientFactory factory, TlsClientOptions options, TimeSpan? timeout = null, EndPoint? bindAddress = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        return AddConnector(new MemoryConnector(this, MemoryConnectionKind.Ssl, factory, DestinationOf(host, port))
        {
            Host = host,
            Port = port,
            TlsOptions = options,
            Timeout = timeout,
            BindAddress = bindAddress,
        });
    }

    /// <summary>Records the call in <see cref="UnixServers"/> and returns its port.</summary>
    public IListeningPort ListenUnix(string path, Factory factory, int backlog = 50, int mode = 438, bool wantPid = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(factory);
        return AddPort(new MemoryPort(this, MemoryConnectionKind.Unix, UnixAddressOf(path))
        {
            Path = path,
            Factory = factory,
            Backlog = backlog,
            Mode = mode,
            WantPid = wantPid,
        });
    }

    /// <summary>Records the call in <see cref="UnixClients"/>, tells the factory it started connecting, and returns the connector.</summary>
    public IConnector ConnectUnix(string path, ClientFactory factory, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(factory);
        return AddConnector(new MemoryConnector(this, MemoryConnectionKind.Unix, factory, UnixAddressOf(path))
        {
            Path = path,
            Timeout = timeout,
        });
    }

    /// <summary>Records the call in <see cref="UdpPorts"/> and returns its port; the protocol is not started.</summary>
    public IListeningPort ListenUdp(int port, DatagramProtocol protocol, string interfaceAddress = "", int maxPacketSize = 8192)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        return AddPort(new MemoryPort(this, MemoryConnectionKind.Udp, HostOf(interfaceAddress, port))
        {
            Port = port,
            DatagramProtocol = protocol,
            InterfaceAddress = interfaceAddress,
            MaxPacketSize = maxPacketSize,
        });
    }

    internal void AddConnection(StringTransport transport) => _connections.Add(transport);

    private MemoryPort AddPort(MemoryPort port)
    {
        _ports.Add(port);
        return port;
    }

    private MemoryConnector AddConnector(MemoryConnector connector)
    {
        _connectors.Add(connector);
        connector.Factory.StartedConnecting(connector);
        return connector;
    }

    private MemoryPort[] Ports(MemoryConnectionKind kind) => _ports.Where(p => p.Kind == kind).ToArray();

    private MemoryConnector[] Connectors(MemoryConnectionKind kind) => _connectors.Where(c => c.Kind == kind).ToArray();

    private static IPEndPoint HostOf(string interfaceAddress, int port) =>
        new(string.IsNullOrEmpty(interfaceAddress) || !IPAddress.TryParse(interfaceAddress, out var address) ? IPAddress.Any : address,
            port == 0 ? AssignedPort : port);

    private static EndPoint UnixAddressOf(string path)
    {
        try
        {
            return new System.Net.Sockets.UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentException)
        {
            // Too long for a real socket address: the recorded call still needs an address to report.
            return new PathEndPoint(path);
        }
    }

    private sealed class PathEndPoint(string path) : EndPoint
    {
        public override System.Net.Sockets.AddressFamily AddressFamily => System.Net.Sockets.AddressFamily.Unix;

        public override string ToString() => path;
    }

    private static EndPoint DestinationOf(string host, int port) =>
        IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
}
