using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Transports;

/// <summary>TLS with a self-signed certificate made here, UNIX sockets, UDP and HostnameEndpoint, on real sockets.</summary>
public class TlsUnixUdpTests : IDisposable
{
    private readonly RunningReactor _net;
    private readonly string _dir = Directory.CreateTempSubdirectory("asynccore-net-").FullName;

    /// <summary>Runs the tests on the default <see cref="AsyncCore.Reactors.EventLoopReactor"/>.</summary>
    public TlsUnixUdpTests() : this(epoll: false)
    {
    }

    /// <summary>Runs the tests on the given reactor kind.</summary>
    protected TlsUnixUdpTests(bool epoll) => _net = new RunningReactor(epoll);

    public void Dispose()
    {
        _net.Dispose();
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private (string Certificate, string Key) WritePem(string name, string? issuerName = null)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        _ = issuerName;
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Path.Combine(_dir, name + ".crt.pem");
        var keyPath = Path.Combine(_dir, name + ".key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }

    private async Task<int> ListenSsl(string cert, string key, Func<IProtocol> make)
    {
        var port = await _net.Call(() => Endpoint.ServerFromString(_net.Reactor, $"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}").Listen(new ServerFactory(make)));
        return ((IPEndPoint)port.GetHost()).Port;
    }

    private async Task<CollectingProtocol> EchoRoundTrip(IStreamClientEndpoint endpoint, byte[] payload)
    {
        var client = new CollectingProtocol();
        client.OnData = c =>
        {
            if (c.Count == payload.Length)
            {
                c.Transport.LoseConnection();
            }
        };
        await _net.Call(() => Endpoint.ConnectProtocol(endpoint, client));
        await _net.Run(() =>
        {
            client.Transport.Write(payload);
            return 0;
        });
        var reason = await _net.Call(() => client.Lost);
        Assert.True(reason.Check<ConnectionDoneException>(), reason.ToString());
        return client;
    }

    [Fact]
    public async Task Tls_EchoWithVerifiedHostname_RoundTripsData()
    {
        var (cert, key) = WritePem("localhost");
        var port = await ListenSsl(cert, key, () => new EchoProtocol());
        var payload = RandomNumberGenerator.GetBytes(200_000);
        var endpoint = Endpoint.ClientFromString(_net.Reactor, $"tls:localhost:{port}:trustRoots={cert}");
        var client = await EchoRoundTrip(endpoint, payload);
        Assert.Equal(payload, client.Kept!.ToArray());
    }

    [Fact]
    public async Task Tls_UntrustedCertificate_FailsToConnect()
    {
        var (cert, key) = WritePem("localhost");
        var (otherCert, _) = WritePem("other");
        var port = await ListenSsl(cert, key, () => new EchoProtocol());
        var endpoint = Endpoint.ClientFromString(_net.Reactor, $"tls:localhost:{port}:trustRoots={otherCert}");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => _net.Call(() => endpoint.Connect(new Factory(() => new CollectingProtocol()))));
        Assert.IsType<ConnectException>(error, exactMatch: false);
    }

    [Fact]
    public async Task Tls_ClientCertificateRequired_ServerSeesIt()
    {
        var (cert, key) = WritePem("localhost");
        var (clientCert, clientKey) = WritePem("client");
        var seen = new List<string?>();
        var options = TlsServerOptions.FromPemFiles(cert, key);
        options.RequireClientCertificate = true;
        options.ClientTrustRoots = TlsClientOptions.LoadTrustRoots(clientCert);
        var listening = await _net.Run(() => _net.Reactor.ListenSsl(0, new ServerFactory(() => new CertificateReporter(seen)), options, interfaceAddress: "127.0.0.1"));
        var port = ((IPEndPoint)listening.GetHost()).Port;
        var endpoint = Endpoint.ClientFromString(_net.Reactor, $"ssl:127.0.0.1:{port}:hostname=localhost:caCertsDir={_dir}:certKey={clientCert}:privateKey={clientKey}");
        await EchoRoundTrip(endpoint, "hi"u8.ToArray());
        Assert.Equal(["CN=client"], seen);
    }

    private sealed class CertificateReporter(List<string?> seen) : Protocol
    {
        public override void ConnectionMade() => seen.Add(((ISocketTransport)Transport).TlsStream?.RemoteCertificate?.Subject);

        public override void DataReceived(ReadOnlySpan<byte> data) => Transport.Write(data);
    }

    [Fact]
    public async Task Tls_SniHostname_ReachesTheServer()
    {
        var (cert, key) = WritePem("localhost");
        var names = new List<string>();
        var port = await ListenSsl(cert, key, () => new SniReporter(names));
        var options = new TlsClientOptions { Hostname = "localhost", TrustRoots = TlsClientOptions.LoadTrustRoots(cert) };
        await EchoRoundTrip(new SslClientEndpoint(_net.Reactor, "127.0.0.1", port, options), "x"u8.ToArray());
        Assert.Equal(["localhost"], names);
    }

    private sealed class SniReporter(List<string> names) : Protocol
    {
        public override void ConnectionMade() => names.Add(((ISocketTransport)Transport).TlsStream!.TargetHostName);

        public override void DataReceived(ReadOnlySpan<byte> data) => Transport.Write(data);
    }

    [Fact]
    public async Task Unix_EchoOverASocketFile_RoundTripsAndRemovesTheFileOnStop()
    {
        var path = Path.Combine(_dir, "echo.sock");
        var port = await _net.Call(() => Endpoint.ServerFromString(_net.Reactor, $"unix:{path}:mode=600").Listen(new ServerFactory(() => new EchoProtocol())));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        var payload = RandomNumberGenerator.GetBytes(100_000);
        var client = await EchoRoundTrip(Endpoint.ClientFromString(_net.Reactor, $"unix:path={path}"), payload);
        Assert.Equal(payload, client.Kept!.ToArray());
        await _net.Call(port.StopListening);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Unix_NothingListening_FailsToConnect()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => _net.Call(() =>
            new UnixClientEndpoint(_net.Reactor, Path.Combine(_dir, "missing.sock")).Connect(new Factory(() => new CollectingProtocol()))));
        Assert.IsType<ConnectException>(error, exactMatch: false);
    }

    private sealed class UdpEcho : DatagramProtocol
    {
        public override void DatagramReceived(ReadOnlySpan<byte> data, EndPoint from) => Transport.Write(data, from);
    }

    private sealed class UdpClient(EndPoint server) : DatagramProtocol
    {
        public Deferred<byte[]> Answer { get; } = new();

        public override void StartProtocol() => Transport.Write("ping"u8, server);

        public override void DatagramReceived(ReadOnlySpan<byte> data, EndPoint from) => Answer.Callback(data.ToArray());
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Udp_Echo_DatagramComesBack(string address)
    {
        var server = await _net.Run(() => _net.Reactor.ListenUdp(0, new UdpEcho(), address));
        var client = new UdpClient(server.GetHost());
        var clientPort = await _net.Run(() => _net.Reactor.ListenUdp(0, client, address));
        var answer = await _net.Call(() => client.Answer);
        Assert.Equal("ping"u8.ToArray(), answer);
        await _net.Call(clientPort.StopListening);
        await _net.Call(server.StopListening);
    }

    [Fact]
    public async Task HostnameEndpoint_Localhost_ConnectsToTheAddressThatListens()
    {
        // Listen on IPv4 only: "localhost" may resolve to ::1 first, which is refused, and the next address wins.
        var port = await _net.Run(() => _net.Reactor.ListenTcp(0, new ServerFactory(() => new EchoProtocol()), interfaceAddress: "127.0.0.1"));
        var endpoint = new HostnameEndpoint(_net.Reactor, "localhost", ((IPEndPoint)port.GetHost()).Port)
        {
            Resolver = (_, _) => Task.FromResult(new[] { IPAddress.IPv6Loopback, IPAddress.Loopback }),
        };
        var client = await EchoRoundTrip(endpoint, "happy eyeballs"u8.ToArray());
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)client.Transport.GetPeer()!).Address);
    }

    [Fact]
    public async Task HostnameEndpoint_NameDoesNotResolve_FailsWithDnsLookup()
    {
        var endpoint = new HostnameEndpoint(_net.Reactor, "no-such-host.invalid", 80)
        {
            Resolver = (_, _) => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)),
        };
        await Assert.ThrowsAsync<DnsLookupException>(() => _net.Call(() => endpoint.Connect(new Factory(() => new CollectingProtocol()))));
    }
}

/// <summary>The same tests on the <see cref="AsyncCore.Reactors.EpollReactor"/>.</summary>
public sealed class TlsUnixUdpEpollTests : TlsUnixUdpTests
{
    public TlsUnixUdpEpollTests() : base(epoll: true)
    {
    }
}
