using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Transports;

/// <summary>
/// Where the TLS handshake runs: off the reactor thread (SslStream's handshake does its key exchange, signing and certificate
/// callbacks synchronously on the caller's thread), while the protocol callbacks stay on the reactor thread.
/// </summary>
public class TlsHandshakeThreadTests : IDisposable
{
    private readonly RunningReactor _net;
    private readonly X509Certificate2 _serverCertificate = MakeCertificate("server");
    private readonly X509Certificate2 _clientCertificate = MakeCertificate("client");

    /// <summary>Runs the tests on the default <see cref="EventLoopReactor"/>.</summary>
    public TlsHandshakeThreadTests() : this(epoll: false)
    {
    }

    /// <summary>Runs the tests on the given reactor kind.</summary>
    protected TlsHandshakeThreadTests(bool epoll) => _net = new RunningReactor(epoll);

    public void Dispose()
    {
        _net.Dispose();
        _serverCertificate.Dispose();
        _clientCertificate.Dispose();
        GC.SuppressFinalize(this);
    }

    private static X509Certificate2 MakeCertificate(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        // A PKCS#12 round trip gives a key that SslStream can use on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private static bool IsCertificate(X509Certificate? presented, X509Certificate2 expected) =>
        presented is not null && presented.GetCertHashString() == expected.Thumbprint;

    private async Task<int> ListenSsl(TlsServerOptions options, Func<IProtocol> make)
    {
        var port = await _net.Run(() => _net.Reactor.ListenSsl(0, new ServerFactory(make), options, interfaceAddress: "127.0.0.1"));
        return ((IPEndPoint)port.GetHost()).Port;
    }

    [Fact]
    public async Task Handshake_ServerSide_RunsOffTheReactorThreadWhileTheProtocolRunsOnIt()
    {
        using var handshakes = new HandshakeListener(_net.Reactor);
        bool? validationOnReactor = null;
        var options = new TlsServerOptions(_serverCertificate)
        {
            RequireClientCertificate = true,
            ClientCertificateValidation = (_, certificate, _, _) =>
            {
                validationOnReactor = _net.Reactor.IsReactorThread;
                return IsCertificate(certificate, _clientCertificate);
            },
        };
        var server = new ThreadRecordingProtocol(_net.Reactor, echo: true);
        var port = await ListenSsl(options, () => server);
        var hostname = $"server-side-{Guid.NewGuid():N}.test";

        // The peer is a plain SslStream off the reactor: the only handshake on the reactor's side is the server's.
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            await using var tls = new SslStream(tcp.GetStream());
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = hostname,
                ClientCertificates = [_clientCertificate],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => IsCertificate(certificate, _serverCertificate),
            }, TestContext.Current.CancellationToken);
            await tls.WriteAsync("ping"u8.ToArray(), TestContext.Current.CancellationToken);
            var echoed = new byte[4];
            await tls.ReadExactlyAsync(echoed, TestContext.Current.CancellationToken);
            Assert.Equal("ping"u8.ToArray(), echoed);
        }

        // Other tests' handshakes may be reported too, but none of them runs on this test's reactor thread.
        Assert.Contains(handshakes.Started, h => h.IsServer);
        Assert.DoesNotContain(handshakes.Started, h => h.OnReactorThread);
        Assert.False(validationOnReactor);
        var callbacks = await _net.Run(() => server.CallbacksOnReactor.ToArray());
        // ConnectionMade, then DataReceived at least once: all on the reactor thread.
        Assert.True(callbacks.Length >= 2, $"{callbacks.Length} protocol callbacks");
        Assert.All(callbacks, Assert.True);
        Assert.Equal(("CN=client", hostname), await _net.Run(() => server.Peer));
    }

    [Fact]
    public async Task Handshake_ClientSide_RunsOffTheReactorThreadWhileTheProtocolRunsOnIt()
    {
        // SNI names this test's handshake among those of tests running in parallel.
        var hostname = $"client-side-{Guid.NewGuid():N}.test";
        using var handshakes = new HandshakeListener(_net.Reactor);

        // The peer is a plain SslStream server off the reactor: the only handshake on the reactor's side is the client's.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var peer = Task.Run(async () =>
        {
            using var tcp = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            await using var tls = new SslStream(tcp.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _serverCertificate,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => IsCertificate(certificate, _clientCertificate),
            }, TestContext.Current.CancellationToken);
            var ping = new byte[4];
            await tls.ReadExactlyAsync(ping, TestContext.Current.CancellationToken);
            await tls.WriteAsync(ping, TestContext.Current.CancellationToken);
            // Wait for the client to close, so the echo is not cut short.
            _ = await tls.ReadAsync(new byte[1], TestContext.Current.CancellationToken);
            return (Client: tls.RemoteCertificate?.Subject, Sni: tls.TargetHostName);
        }, TestContext.Current.CancellationToken);

        bool? validationOnReactor = null;
        var options = new TlsClientOptions
        {
            Hostname = hostname,
            ClientCertificate = _clientCertificate,
            ServerCertificateValidation = (_, certificate, _, _) =>
            {
                validationOnReactor = _net.Reactor.IsReactorThread;
                return IsCertificate(certificate, _serverCertificate);
            },
        };
        var client = new ThreadRecordingProtocol(_net.Reactor, echo: false);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await _net.Call(() => Endpoint.ConnectProtocol(new SslClientEndpoint(_net.Reactor, "127.0.0.1", port, options), client));
        await _net.Run(() =>
        {
            client.Transport.Write("ping"u8);
            return 0;
        });
        Assert.Equal("ping"u8.ToArray(), await _net.Call(() => client.Received));
        await _net.Run(() =>
        {
            client.Transport.LoseConnection();
            return 0;
        });
        var seen = await peer.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        var handshake = Assert.Single(handshakes.Started, h => h.TargetHost == hostname);
        Assert.False(handshake.IsServer);
        Assert.False(handshake.OnReactorThread);
        Assert.True(handshake.OnThreadPool, "the client handshake should start on the thread pool");
        Assert.False(validationOnReactor);
        var callbacks = await _net.Run(() => client.CallbacksOnReactor.ToArray());
        // ConnectionMade, then DataReceived at least once: all on the reactor thread.
        Assert.True(callbacks.Length >= 2, $"{callbacks.Length} protocol callbacks");
        Assert.All(callbacks, Assert.True);
        Assert.Equal(("CN=client", hostname), seen);
    }

    [Fact]
    public async Task Handshake_ClientRejectsTheServer_FailsWithConnectException()
    {
        var port = await ListenSsl(new TlsServerOptions(_serverCertificate), () => new EchoProtocol());
        var factory = new FailureRecordingFactory(_net.Reactor);
        var options = new TlsClientOptions { ServerCertificateValidation = static (_, _, _, _) => false };
        await _net.Run(() => _net.Reactor.ConnectSsl("127.0.0.1", port, factory, options));
        var error = await _net.Call(() => factory.Failed);
        var connectError = Assert.IsType<ConnectException>(error, exactMatch: false);
        Assert.IsType<System.Security.Authentication.AuthenticationException>(connectError.InnerException, exactMatch: false);
        Assert.Equal([true], factory.CallbacksOnReactor);
    }

    [Fact]
    public async Task Handshake_ClientSpeaksPlainText_ServerDropsTheConnectionWithoutAProtocol()
    {
        var built = 0;
        var port = await ListenSsl(new TlsServerOptions(_serverCertificate), () =>
        {
            built++;
            return new EchoProtocol();
        });
        var client = new CollectingProtocol();
        await _net.Call(() => Endpoint.ConnectProtocol(new TcpClientEndpoint(_net.Reactor, "127.0.0.1", port), client));
        await _net.Run(() =>
        {
            client.Transport.Write("GET / HTTP/1.0\r\n\r\n"u8);
            return 0;
        });
        // The server's failed handshake closes the socket; nothing reached a protocol.
        var reason = await _net.Call(() => client.Lost);
        Assert.IsType<ConnectionClosedException>(reason, exactMatch: false);
        Assert.Equal(0, await _net.Run(() => built));
    }

    [Fact]
    public async Task Handshake_PeerNeverAnswers_ConnectTimesOut()
    {
        // A plain TCP server: the client's ClientHello is never answered, so the attempt ends by its timeout.
        var silent = await _net.Run(() => _net.Reactor.ListenTcp(0, new ServerFactory(() => new SilentProtocol()), interfaceAddress: "127.0.0.1"));
        var factory = new FailureRecordingFactory(_net.Reactor);
        var options = new TlsClientOptions { VerifyServer = false };
        await _net.Run(() => _net.Reactor.ConnectSsl("127.0.0.1", ((IPEndPoint)silent.GetHost()).Port, factory, options, TimeSpan.FromMilliseconds(300)));
        var error = await _net.Call(() => factory.Failed);
        Assert.IsType<ConnectTimeoutException>(error);
        Assert.Equal([true], factory.CallbacksOnReactor);
    }

    [Fact]
    public async Task Handshake_StopConnectingWhilePending_FailsWithConnectingCancelled()
    {
        var factory = new FailureRecordingFactory(_net.Reactor);
        IConnector? connector = null;
        // The server's ConnectionMade means the TCP connection is up: the client is connecting or handshaking.
        var silent = await _net.Run(() => _net.Reactor.ListenTcp(0, new ServerFactory(() => new SilentProtocol(() => connector!.StopConnecting())),
            interfaceAddress: "127.0.0.1"));
        var options = new TlsClientOptions { VerifyServer = false };
        await _net.Run(() => connector = _net.Reactor.ConnectSsl("127.0.0.1", ((IPEndPoint)silent.GetHost()).Port, factory, options));
        var error = await _net.Call(() => factory.Failed);
        Assert.IsType<ConnectingCancelledException>(error);
        Assert.Equal([true], factory.CallbacksOnReactor);
    }

    /// <summary>Records, for each protocol callback, whether it ran on the reactor thread; echoes when asked to.</summary>
    private sealed class ThreadRecordingProtocol(ReactorBase reactor, bool echo) : Protocol
    {
        public List<bool> CallbacksOnReactor { get; } = [];

        public Deferred<byte[]> Received { get; } = new();

        /// <summary>The peer's certificate subject and the SNI name, as the TLS stream saw them at ConnectionMade.</summary>
        public (string? Subject, string? Sni) Peer { get; private set; }

        public override void ConnectionMade()
        {
            CallbacksOnReactor.Add(reactor.IsReactorThread);
            var tls = ((ISocketTransport)Transport).TlsStream;
            Peer = (tls?.RemoteCertificate?.Subject, tls?.TargetHostName);
        }

        public override void DataReceived(ReadOnlySpan<byte> data)
        {
            CallbacksOnReactor.Add(reactor.IsReactorThread);
            if (echo)
            {
                Transport.Write(data);
            }
            else if (!Received.Called)
            {
                Received.Callback(data.ToArray());
            }
        }
    }

    /// <summary>Accepts and says nothing; runs <paramref name="onConnected"/> once connected.</summary>
    private sealed class SilentProtocol(Action? onConnected = null) : Protocol
    {
        public override void ConnectionMade() => onConnected?.Invoke();
    }

    /// <summary>Records connection failures, and whether each was reported on the reactor thread.</summary>
    private sealed class FailureRecordingFactory(ReactorBase reactor) : ClientFactory(() => new EchoProtocol())
    {
        public Deferred<Exception> Failed { get; } = new();

        public List<bool> CallbacksOnReactor { get; } = [];

        public override void ClientConnectionFailed(IConnector connector, Failure reason)
        {
            CallbacksOnReactor.Add(reactor.IsReactorThread);
            Failed.Callback(reason.Value);
        }
    }

    private sealed record HandshakeStart(bool IsServer, string TargetHost, bool OnReactorThread, bool OnThreadPool);

    /// <summary>
    /// Watches SslStream's own "HandshakeStart" event (System.Net.Security telemetry), which it writes synchronously on the
    /// thread that calls AuthenticateAsServerAsync/AuthenticateAsClientAsync: the thread the handshake's first flight runs on.
    /// </summary>
    private sealed class HandshakeListener : EventListener
    {
        private readonly ConcurrentQueue<HandshakeStart> _started = new();
        private readonly ReactorBase? _reactor;

        // The base constructor enables the source (OnEventSourceCreated); events arriving before this body ran are not
        // this test's, hence the null check below.
        public HandshakeListener(ReactorBase reactor) => _reactor = reactor;

        public IReadOnlyCollection<HandshakeStart> Started => _started;

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "System.Net.Security")
            {
                EnableEvents(eventSource, EventLevel.Informational);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (_reactor is not null && eventData.EventName == "HandshakeStart" && eventData.Payload is [bool isServer, string targetHost, ..])
            {
                _started.Enqueue(new HandshakeStart(isServer, targetHost, _reactor.IsReactorThread, Thread.CurrentThread.IsThreadPoolThread));
            }
        }
    }
}

/// <summary>The same tests on the <see cref="EpollReactor"/>.</summary>
public sealed class TlsHandshakeThreadEpollTests : TlsHandshakeThreadTests
{
    public TlsHandshakeThreadEpollTests() : base(epoll: true)
    {
    }
}
