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
    private Deferred<object?>? _stopped;
    private bool _closed;

    internal StreamPort(ReactorBase reactor, Socket listener, Factory factory, TlsServerOptions? tls, NetworkRegistry registry, string? unixPath,
        FilesystemLock? lockFile = null)
    {
        _reactor = reactor;
        _listener = listener;
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

    internal void Start()
    {
        _registry.Ports.Add(this);
        _factory.DoStart();
        // Accepting starts on the reactor thread, once the reactor runs.
        _reactor.CallFromThread(static state => _ = ((StreamPort)state!).AcceptLoop(), this);
    }

    private async Task AcceptLoop()
    {
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
                _reactor.Logger.LogError(e, "Accept failed on {Address}; the port stops accepting", _host);
                return;
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
        try
        {
            // The handshake starts on the thread pool: SslStream runs its first flight (certificate context, key exchange,
            // signing, any certificate callback) synchronously on the caller's thread whenever the peer's bytes are already
            // buffered, which stalled the reactor under load. Awaiting here resumes on the reactor thread.
            await Task.Run(() => tls.AuthenticateAsServerAsync(options.ToAuthenticationOptions()));
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or SocketException or ObjectDisposedException)
        {
            _reactor.Logger.LogInformation(e, "TLS handshake with {Peer} failed", SafePeer(socket));
            await tls.DisposeAsync();
            socket.Dispose();
            return;
        }
        if (_closed)
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
