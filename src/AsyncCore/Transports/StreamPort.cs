using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Transports;

/// <summary>
/// A listening stream socket: TCP, UNIX or TLS (Twisted's <c>tcp.Port</c> and <c>unix.Port</c>). Accepts on the reactor
/// thread (each accept awaited through the reactor's synchronization context) and builds one protocol per connection.
/// A TLS handshake runs on the thread pool; the protocol is built, and then fed, on the reactor thread.
/// </summary>
internal sealed class StreamPort : IListeningPort, IClosable
{
    private readonly ReactorBase _reactor;
    private readonly Socket _listener;
    private readonly Factory _factory;
    private readonly TlsServerOptions? _tls;
    private readonly NetworkRegistry _registry;
    private readonly EndPoint _host;
    private readonly string? _unixPath;
    private readonly FilesystemLock? _lockFile;
    // Sockets accepted whose TLS handshake has not finished: closed with the port, so that a client that never finishes
    // its handshake cannot hold a socket past StopListening or shutdown. Touched only on the reactor thread.
    private readonly HashSet<Socket> _handshaking = [];
    private Deferred<object?>? _stopped;
    private bool _closed;

    // Back-off after an accept failed for lack of descriptors or buffers: doubles from the first to the last value.
    private static readonly TimeSpan s_firstBackoff = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan s_lastBackoff = TimeSpan.FromSeconds(1);

    internal StreamPort(ReactorBase reactor, Socket listener, Factory factory, TlsServerOptions? tls, NetworkRegistry registry, string? unixPath,
        FilesystemLock? lockFile = null)
    {
        _reactor = reactor;
        _listener = listener;
        // Accepts are awaited on the reactor thread only: the engine thread may complete them and post (SocketCompletions).
        SocketCompletions.PreferInline(listener);
        _factory = factory;
        _tls = tls;
        _registry = registry;
        _host = listener.LocalEndPoint!;
        _unixPath = unixPath;
        _lockFile = lockFile;
    }

    /// <summary>The factory building this port's protocols.</summary>
    public Factory Factory => _factory;

    /// <inheritdoc />
    public EndPoint GetHost() => _host;

    /// <summary>The accepted connections whose TLS handshake is still running.</summary>
    internal int PendingHandshakes => _handshaking.Count;

    internal void Start()
    {
        _registry.Ports.Add(this);
        _factory.DoStart();
        // Accepting starts on the reactor thread, once the reactor runs.
        _reactor.CallFromThread(static state => _ = ((StreamPort)state!).AcceptLoop(), this);
    }

    private async Task AcceptLoop()
    {
        var backoff = TimeSpan.Zero;
        while (!_closed)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_closed)
                {
                    return;
                }
                if (e is SocketException { SocketErrorCode: SocketError.ConnectionAborted or SocketError.ConnectionReset })
                {
                    _reactor.Logger.LogWarning(e, "Accept failed on {Address}; still listening", _host);
                    continue;
                }
                if (e is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable })
                {
                    // EMFILE, ENFILE, ENOBUFS, ENOMEM: Twisted's tcp.Port logs it and accepts again later, the connection
                    // waiting in the listen queue meanwhile. The wait grows so that the loop does not spin while nothing
                    // frees up; only the first failure of a run is a warning, so that the log is not flooded either.
                    var first = backoff == TimeSpan.Zero;
                    backoff = first ? s_firstBackoff : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_lastBackoff.Ticks));
                    _reactor.Logger.Log(first ? LogLevel.Warning : LogLevel.Debug, e,
                        "Accept failed on {Address}: out of file descriptors or buffers; still listening, will retry in {Delay} ms",
                        _host, backoff.TotalMilliseconds);
                    await Task.Delay(backoff, _reactor.TimeProvider);
                    continue;
                }
                _reactor.Logger.LogError(e, "Accept failed on {Address}; the port stops accepting", _host);
                return;
            }
            if (backoff != TimeSpan.Zero)
            {
                _reactor.Logger.LogInformation("Accepting on {Address} again", _host);
                backoff = TimeSpan.Zero;
            }
            if (_closed)
            {
                socket.Dispose();
                return;
            }
            if (_tls is null)
            {
                Accepted(socket, null);
            }
            else
            {
                _ = Handshake(socket);
            }
        }
    }

    private async Task Handshake(Socket socket)
    {
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        var options = _tls!;
        var peer = SafePeer(socket);
        var timedOut = false;
        _handshaking.Add(socket);
        // Closing the socket is what ends a handshake waiting for the peer: SslStream then fails its pending read.
        var timeout = options.HandshakeTimeout == Timeout.InfiniteTimeSpan ? null : _reactor.CallLater(options.HandshakeTimeout, () =>
        {
            timedOut = true;
            socket.Dispose();
        });
        try
        {
            // The handshake starts on the thread pool: SslStream runs its first flight (certificate context, key exchange,
            // signing, any certificate callback) synchronously on the caller's thread whenever the peer's bytes are already
            // buffered, which stalled the reactor under load. Awaiting here resumes on the reactor thread.
            await Task.Run(() => tls.AuthenticateAsServerAsync(options.ToAuthenticationOptions()));
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or SocketException
            or ObjectDisposedException or OperationCanceledException)
        {
            if (timedOut)
            {
                _reactor.Logger.LogInformation("TLS handshake with {Peer} timed out after {Timeout}; connection closed", peer, options.HandshakeTimeout);
            }
            else if (!_closed)
            {
                _reactor.Logger.LogInformation(e, "TLS handshake with {Peer} failed", peer);
            }
            await tls.DisposeAsync();
            socket.Dispose();
            return;
        }
        finally
        {
            _handshaking.Remove(socket);
            if (timeout is { Active: true })
            {
                timeout.Cancel();
            }
        }
        if (_closed || timedOut)
        {
            await tls.DisposeAsync();
            socket.Dispose();
            return;
        }
        Accepted(socket, tls);
    }

    private void Accepted(Socket socket, SslStream? tls)
    {
        if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
        {
            // Latency first, as Twisted does for TCP.
            socket.NoDelay = true;
        }
        IProtocol? protocol;
        try
        {
            protocol = _factory.BuildProtocol(SafePeer(socket));
        }
        catch (Exception e)
        {
            _reactor.Logger.LogError(e, "BuildProtocol failed; closing the connection from {Peer}", SafePeer(socket));
            protocol = null;
        }
        if (protocol is null)
        {
            tls?.Dispose();
            socket.Dispose();
            return;
        }
        _registry.CreateTransport(_reactor, socket, tls).Start(protocol);
    }

    /// <inheritdoc />
    public Deferred<object?> StopListening()
    {
        if (_stopped is not null)
        {
            return _stopped.Called ? Deferred.Succeed<object?>(null) : _stopped;
        }
        _stopped = new Deferred<object?>();
        Close();
        // Fire on a later pass, as Twisted's port does once the socket is closed.
        var stopped = _stopped;
        _reactor.CallFromThread(() =>
        {
            _factory.DoStop();
            stopped.Callback(null);
        });
        return stopped;
    }

    void IClosable.CloseForShutdown()
    {
        if (!_closed)
        {
            Close();
            _factory.DoStop();
        }
    }

    private void Close()
    {
        _closed = true;
        _registry.Ports.Remove(this);
        _listener.Dispose();
        foreach (var pending in _handshaking)
        {
            // Fails the handshake, whose continuation then disposes its stream.
            pending.Dispose();
        }
        _handshaking.Clear();
        if (_unixPath is not null)
        {
            try
            {
                File.Delete(_unixPath);
            }
            catch (IOException)
            {
                // Someone else took the path over; leave it.
            }
        }
        if (_lockFile is { Locked: true })
        {
            // After the socket file, as Twisted's unix.Port: whoever takes the lock next finds the path free.
            try
            {
                _lockFile.Unlock();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                _reactor.Logger.LogWarning(e, "Could not release the lock file {LockFile}", _lockFile.Name);
            }
        }
    }

    private static EndPoint? SafePeer(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
