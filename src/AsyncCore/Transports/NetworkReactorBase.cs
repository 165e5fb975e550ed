using System.Net;
using System.Net.Sockets;
using AsyncCore.Protocols;
using AsyncCore.Reactor;

namespace AsyncCore.Transports;

/// <summary>
/// A reactor with the network capabilities (<see cref="IReactorTcp"/>, <see cref="IReactorUnix"/>,
/// <see cref="IReactorUdp"/>, <see cref="IReactorSsl"/>): the base of every concrete reactor in
/// <c>AsyncCore.Reactors</c>.
/// </summary>
/// <remarks>
/// It lives with the transports and only needs <c>CallFromThread</c> and the reactor's SynchronizationContext, so the
/// reactor layer (<see cref="ReactorBase"/>) knows nothing about sockets.
/// </remarks>
public abstract class NetworkReactorBase : ReactorBase, INetworkReactor, IDisposable, IAsyncDisposable
{
    private NetworkRegistry? _network;

    /// <summary>Creates the shared state; <paramref name="options"/> null means the defaults.</summary>
    private protected NetworkReactorBase(ReactorOptions? options) : base(options)
    {
    }

    /// <summary>
    /// Releases the reactor's resources. On a running reactor, stops it first and (from another thread) waits until it has
    /// gone through the shutdown event; on the reactor thread, they are released when the loop ends.
    /// </summary>
    public abstract void Dispose();

    /// <summary>
    /// Like <see cref="Dispose"/>, waiting for a running reactor's shutdown without blocking. Do not await it on the
    /// reactor thread: the loop it waits for is the one running the awaiting code.
    /// </summary>
    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// A transport served by this reactor's own readiness loop for a connected socket, or null to use the completion-based
    /// transport every reactor has. The network layer asks instead of knowing the concrete reactors above it.
    /// </summary>
    internal virtual IStreamConnection? CreateReadinessTransport(Socket socket, System.Net.Security.SslStream? tls, NetworkRegistry registry) => null;

    internal NetworkRegistry Network => _network ??= new NetworkRegistry(this);

    /// <summary>
    /// The ports (TCP, TLS, UNIX, UDP) listening now, in no particular order (Twisted's <c>getReaders</c>, for ports):
    /// what a test harness lists as left behind. Call on the reactor thread.
    /// </summary>
    public IReadOnlyList<IListeningPort> GetListeningPorts() =>
        _network is null ? [] : _network.Ports.OfType<IListeningPort>().ToArray();

    /// <summary>
    /// The stream connections open now, in no particular order (Twisted's <c>getReaders</c>/<c>getWriters</c>, for
    /// connections): what a test harness lists as left behind. Call on the reactor thread.
    /// </summary>
    public IReadOnlyList<ITransport> GetConnections() =>
        _network is null ? [] : _network.Connections.OfType<ITransport>().ToArray();

    /// <inheritdoc />
    public IListeningPort ListenTcp(int port, Factory factory, int backlog = 50, string interfaceAddress = "") =>
        ListenStream(port, factory, backlog, interfaceAddress, tls: null);

    /// <inheritdoc />
    public IConnector ConnectTcp(string host, int port, ClientFactory factory, TimeSpan? timeout = null, EndPoint? bindAddress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentNullException.ThrowIfNull(factory);
        var connector = new StreamConnector(this, Network, host, port, unix: false, factory, timeout, bindAddress, tls: null);
        connector.Connect();
        return connector;
    }

    /// <inheritdoc />
    public IListeningPort ListenSsl(int port, Factory factory, TlsServerOptions options, int backlog = 50, string interfaceAddress = "")
    {
        ArgumentNullException.ThrowIfNull(options);
        return ListenStream(port, factory, backlog, interfaceAddress, options);
    }

    /// <inheritdoc />
    public IConnector ConnectSsl(string host, int port, ClientFactory factory, TlsClientOptions options, TimeSpan? timeout = null, EndPoint? bindAddress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        var connector = new StreamConnector(this, Network, host, port, unix: false, factory, timeout, bindAddress, options);
        connector.Connect();
        return connector;
    }

    /// <inheritdoc />
    public IListeningPort ListenUnix(string path, Factory factory, int backlog = 50, int mode = 438, bool wantPid = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(factory);
        var endpoint = UnixSocketAddress.TryCreate(path, out var invalid) ?? throw new CannotListenException($"Couldn't listen on {path}: {invalid}");
        var lockFile = wantPid ? AcquireUnixLock(path, endpoint) : null;
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(endpoint);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)mode);
            }
            socket.Listen(backlog);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            // Twisted keeps the lock after a failed bind (until the process exits); released here, nothing needs it.
            lockFile?.Unlock();
            throw new CannotListenException(endpoint, e);
        }
        var port = new StreamPort(this, socket, factory, null, Network, path, lockFile);
        port.Start();
        return port;
    }

    /// <summary>
    /// Takes the PID lock file <c>PATH.lock</c> of a UNIX socket (Twisted's <c>wantPID</c>); after taking over a stale
    /// lock, removes the socket file its dead owner left behind.
    /// </summary>
    private static FilesystemLock AcquireUnixLock(string path, EndPoint endpoint)
    {
        var lockFile = new FilesystemLock(path + ".lock");
        bool acquired;
        try
        {
            acquired = lockFile.Lock();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CannotListenException(endpoint, e);
        }
        if (!acquired)
        {
            throw new CannotListenException(endpoint,
                new IOException($"Cannot acquire lock {lockFile.Name}: a live process holds it (its id is the link's target)."));
        }
        if (lockFile.Clean == false)
        {
            UnixSocketFile.RemoveIfSocket(path);
        }
        return lockFile;
    }

    /// <inheritdoc />
    public IConnector ConnectUnix(string path, ClientFactory factory, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(factory);
        var connector = new StreamConnector(this, Network, path, 0, unix: true, factory, timeout, null, null);
        connector.Connect();
        return connector;
    }

    /// <inheritdoc />
    public IListeningPort ListenUdp(int port, DatagramProtocol protocol, string interfaceAddress = "", int maxPacketSize = 8192)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        var address = ParseInterface(interfaceAddress);
        var endpoint = new IPEndPoint(address, port);
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }
            socket.Bind(endpoint);
            socket.Blocking = false;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new CannotListenException(endpoint, e);
        }
        var udp = new UdpPort(this, socket, protocol, Network, maxPacketSize);
        udp.Start();
        return udp;
    }

    private StreamPort ListenStream(int port, Factory factory, int backlog, string interfaceAddress, TlsServerOptions? tls)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var address = ParseInterface(interfaceAddress);
        var endpoint = new IPEndPoint(address, port);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                // "::" takes IPv4 too, as on most systems.
                socket.DualMode = true;
            }
            if (!OperatingSystem.IsWindows())
            {
                // Twisted sets SO_REUSEADDR on POSIX so a restarted server can bind while old connections sit in TIME_WAIT.
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }
            socket.Bind(endpoint);
            socket.Listen(backlog);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new CannotListenException(endpoint, e);
        }
        var listening = new StreamPort(this, socket, factory, tls, Network, null);
        listening.Start();
        return listening;
    }

    private static IPAddress ParseInterface(string interfaceAddress)
    {
        if (string.IsNullOrEmpty(interfaceAddress))
        {
            return IPAddress.Any;
        }
        return IPAddress.TryParse(interfaceAddress, out var address)
            ? address
            : throw new CannotListenException($"'{interfaceAddress}' is not an IP address.");
    }
}
