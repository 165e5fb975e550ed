using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using AsyncCore.Protocols;
using AsyncCore.Reactor;

namespace AsyncCore.Transports;

/// <summary>
/// An outgoing stream connection, TCP, UNIX or TLS (Twisted's <c>tcp.Connector</c>): resolves, connects with a timeout,
/// performs the TLS handshake, then builds the protocol. All of it runs on the reactor thread, the waits awaited through
/// the reactor's synchronization context, except the TLS handshake itself, which runs on the thread pool.
/// </summary>
internal sealed class StreamConnector : IConnector
{
    private readonly ReactorBase _reactor;
    private readonly NetworkRegistry _registry;
    private readonly string _host;
    private readonly int _port;
    private readonly bool _unix;
    private readonly TimeSpan _timeout;
    private readonly EndPoint? _bindAddress;
    private readonly TlsClientOptions? _tls;
    private State _state = State.Disconnected;
    private Socket? _socket;
    private IStreamConnection? _transport;
    private IDelayedCall? _timeoutCall;
    private CancellationTokenSource? _attempt;
    private bool _factoryStarted;

    private enum State
    {
        Disconnected,
        Connecting,
        Connected,
    }

    internal StreamConnector(ReactorBase reactor, NetworkRegistry registry, string host, int port, bool unix, ClientFactory factory,
        TimeSpan? timeout, EndPoint? bindAddress, TlsClientOptions? tls)
    {
        _reactor = reactor;
        _registry = registry;
        _host = host;
        _port = port;
        _unix = unix;
        Factory = factory;
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
        _bindAddress = bindAddress;
        _tls = tls;
    }

    /// <inheritdoc />
    public ClientFactory Factory { get; }

    /// <summary>The transport once connected, else null.</summary>
    public ITransport? Transport => (ITransport?)_transport;

    /// <inheritdoc />
    public EndPoint GetDestination() => _unix ? UnixSocketAddress.ForDisplay(_host) : IPAddress.TryParse(_host, out var ip) ? new IPEndPoint(ip, _port) : new DnsEndPoint(_host, _port);

    /// <inheritdoc />
    public void Connect()
    {
        if (_state != State.Disconnected)
        {
            throw new InvalidOperationException("Can't connect in this state");
        }
        _state = State.Connecting;
        if (!_factoryStarted)
        {
            Factory.DoStart();
            _factoryStarted = true;
        }
        _attempt = new CancellationTokenSource();
        var attempt = _attempt;
        _timeoutCall = _reactor.CallLater(_timeout, () => Fail(attempt, new ConnectTimeoutException($"Connecting to {GetDestination()} timed out after {_timeout.TotalSeconds} s.")));
        // Start on the reactor thread so that every await resumes there.
        _reactor.CallFromThread(() => _ = Run(attempt));
        Factory.StartedConnecting(this);
    }

    /// <inheritdoc />
    public void StopConnecting()
    {
        if (_state != State.Connecting || _attempt is null)
        {
            throw new NotConnectingException();
        }
        Fail(_attempt, new ConnectingCancelledException(GetDestination()));
    }

    /// <inheritdoc />
    public void Disconnect()
    {
        if (_state == State.Connecting)
        {
            StopConnecting();
        }
        else if (_state == State.Connected)
        {
            ((ITransport)_transport!).LoseConnection();
        }
    }

    private async Task Run(CancellationTokenSource attempt)
    {
        if (attempt.IsCancellationRequested)
        {
            return;
        }
        Socket socket;
        SslStream? tls = null;
        try
        {
            EndPoint remote;
            if (_unix)
            {
                // A path too long for a socket address fails the connection, as Twisted's connectUNIX reports it.
                remote = UnixSocketAddress.TryCreate(_host, out var invalid) ?? throw new ConnectException($"Cannot connect to {_host}: {invalid}");
                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            }
            else
            {
                var address = IPAddress.TryParse(_host, out var literal) ? literal : await Resolve(attempt.Token);
                remote = new IPEndPoint(address, _port);
                socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            }
            _socket = socket;
            if (attempt.IsCancellationRequested)
            {
                socket.Dispose();
                return;
            }
            if (_bindAddress is not null)
            {
                socket.Bind(_bindAddress);
            }
            await socket.ConnectAsync(remote, attempt.Token);
            if (_tls is not null)
            {
                var stream = tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
                var options = _tls;
                var host = _host;
                var cancellation = attempt.Token;
                // The handshake starts on the thread pool (see StreamPort.Handshake): building the ClientHello and any
                // certificate callback must not run on the reactor thread. Awaiting here resumes on the reactor thread,
                // where the timeout and StopConnecting cancel the attempt as before.
                await Task.Run(() => stream.AuthenticateAsClientAsync(options.ToAuthenticationOptions(host), cancellation), cancellation);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException
            or System.Security.Authentication.AuthenticationException or ConnectException)
        {
            tls?.Dispose();
            if (!attempt.IsCancellationRequested)
            {
                Fail(attempt, Translate(e));
            }
            return;
        }
        if (attempt.IsCancellationRequested)
        {
            tls?.Dispose();
            socket.Dispose();
            return;
        }
        Connected(attempt, socket, tls);
    }

    private async Task<IPAddress> Resolve(CancellationToken cancellation)
    {
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(_host, cancellation);
        }
        catch (SocketException e)
        {
            throw new DnsLookupException($"DNS lookup failed for {_host}: {e.Message}", e);
        }
        return addresses.Length > 0 ? addresses[0] : throw new DnsLookupException($"DNS lookup for {_host} returned no address.");
    }

    private static Exception Translate(Exception e) => e switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } se => new ConnectionRefusedException(se.Message, se),
        SocketException { SocketErrorCode: SocketError.TimedOut } se => new ConnectTimeoutException(se.Message, se),
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData } se => new DnsLookupException(se.Message, se),
        ConnectException => e,
        _ => new ConnectException(e.Message, e),
    };

    private void Connected(CancellationTokenSource attempt, Socket socket, SslStream? tls)
    {
        CancelTimeout();
        _attempt = null;
        attempt.Dispose();
        IProtocol? protocol;
        try
        {
            protocol = Factory.BuildProtocol(socket.RemoteEndPoint);
        }
        catch (Exception e)
        {
            tls?.Dispose();
            socket.Dispose();
            ConnectionFailed(new Failure(e));
            return;
        }
        if (protocol is null)
        {
            tls?.Dispose();
            socket.Dispose();
            ConnectionFailed(new Failure(new NoProtocolException()));
            return;
        }
        _state = State.Connected;
        _transport = _registry.CreateTransport(_reactor, socket, tls);
        _transport.OnLost = ConnectionLost;
        _transport.Start(protocol);
    }

    private void Fail(CancellationTokenSource attempt, Exception error)
    {
        if (_attempt != attempt || _state != State.Connecting)
        {
            return;
        }
        CancelTimeout();
        _attempt = null;
        attempt.Cancel();
        attempt.Dispose();
        _socket?.Dispose();
        ConnectionFailed(new Failure(error));
    }

    private void CancelTimeout()
    {
        if (_timeoutCall is { Active: true })
        {
            _timeoutCall.Cancel();
        }
        _timeoutCall = null;
    }

    private void ConnectionFailed(Failure reason)
    {
        _state = State.Disconnected;
        Factory.ClientConnectionFailed(this, reason);
        StopFactoryIfIdle();
    }

    private void ConnectionLost(Failure reason)
    {
        _state = State.Disconnected;
        _transport = null;
        Factory.ClientConnectionLost(this, reason);
        StopFactoryIfIdle();
    }

    private void StopFactoryIfIdle()
    {
        // A ReconnectingClientFactory may have called Connect again from the callback.
        if (_state == State.Disconnected && _factoryStarted)
        {
            _factoryStarted = false;
            Factory.DoStop();
        }
    }
}
