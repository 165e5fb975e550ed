using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AsyncCore.Endpoints;
using AsyncCore.Reactors;
using AsyncCore.Testing;
using AsyncCore.Transports;

namespace AsyncCore.WebSockets.Tests;

/// <summary>Standalone servers from <c>ws:</c>/<c>wss:</c> endpoint strings and clients from URLs, over real sockets (TCP and TLS).</summary>
public sealed class EndpointTests : ReactorTestBase, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("asynccore-ws-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A self-signed certificate for localhost and 127.0.0.1, and its PEM files.</summary>
    private (X509Certificate2 Certificate, string CertPath, string KeyPath) SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Path.Combine(_dir, "server.crt.pem");
        var keyPath = Path.Combine(_dir, "server.key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert)), certPath, keyPath);
    }


    /// <summary>Opens a client on <paramref name="url"/>, exchanges a text and a binary message, closes cleanly.</summary>
    private static async Deferred<bool> EchoAndClose(EventLoopReactor reactor, string url, WebSocketClientOptions? options = null)
    {
        var echoed = new Deferred<bool>();
        var client = new RecordingClient
        {
            OnOpenAction = c =>
            {
                c.SendMessage("over the wire");
                c.SendMessage(new byte[70_000], isBinary: true);
            },
            OnMessageAction = (c, _, _) =>
            {
                if (c.Seen.Messages.Count == 2)
                {
                    c.SendClose(1000, "bye");
                    echoed.Callback(true);
                }
            },
        };
        // Patient close timeouts: a loaded machine must not turn this echo into an unclean close.
        options ??= new WebSocketClientOptions();
        options = new WebSocketClientOptions
        {
            PerMessageDeflate = options.PerMessageDeflate,
            Tls = options.Tls,
            CloseHandshakeTimeout = TimeSpan.FromSeconds(30),
            ServerConnectionDropTimeout = TimeSpan.FromSeconds(30),
        };
        var opened = await WebSocketClient.Connect(reactor, url, client, options);
        Assert.Same(client, opened);
        await echoed;
        await WhenConnectionsClosed(reactor);
        Assert.Equal(["over the wire"], client.Seen.Texts);
        Assert.Equal(70_000, client.Seen.Messages[1].Payload.Length);
        Assert.Equal([(true, (int?)1000)], client.Seen.Closes.Select(c => (c.WasClean, c.Code)));
        return true;
    }

    [Fact]
    public Task WsEndpointString_ListensOnTcp_ClientFromWsUrl() => RunOnReactor(async reactor =>
    {
        var servers = new List<RecordingServer>();
        var factory = new WebSocketServerFactory(reactor, () =>
        {
            var server = new RecordingServer();
            servers.Add(server);
            return server;
        });
        var port = await WebSocketEndpoints.Listen(reactor, "ws:0:interface=127.0.0.1", factory);
        Assert.IsType<TcpServerEndpoint>(WebSocketEndpoints.ServerFromString(reactor, "ws:0:interface=127.0.0.1"));
        await EchoAndClose(reactor, $"ws://127.0.0.1:{((IPEndPoint)port.GetHost()).Port}/any/path?x=1");
        Assert.Equal("/any/path", Assert.Single(servers).Request!.Path);
        Assert.Equal([(true, (int?)1000)], servers[0].Seen.Closes.Select(c => (c.WasClean, c.Code)));
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task WssEndpointString_SelfSignedCertificate_ClientTrustsIt_EchoOverTls() => RunOnReactor(async reactor =>
    {
        var (certificate, certPath, keyPath) = SelfSigned();
        using (certificate)
        {
            var factory = new WebSocketServerFactory(reactor, () => new RecordingServer(), new WebSocketServerOptions { PerMessageDeflate = new() });
            var port = await WebSocketEndpoints.Listen(reactor, $"wss:0:interface=127.0.0.1:privateKey={keyPath}:certKey={certPath}", factory);
            var url = $"wss://localhost:{((IPEndPoint)port.GetHost()).Port}/secure";
            await EchoAndClose(reactor, url, new WebSocketClientOptions
            {
                PerMessageDeflate = new(),
                Tls = TlsClientOptions.ForHostname("localhost", trustRoots: [certificate]),
            });
            await port.StopListening();
        }
        return true;
    });

    [Fact]
    public Task Wss_ClientVerifiesByDefault_AnUntrustedSelfSignedServerFailsTheConnect() => RunOnReactor(async reactor =>
    {
        var (certificate, _, _) = SelfSigned();
        using (certificate)
        {
            using var withKey = CertificateWithKey();
            var factory = new WebSocketServerFactory(reactor, () => new RecordingServer());
            var port = await new SslServerEndpoint(reactor, 0, new TlsServerOptions(withKey), interfaceAddress: "127.0.0.1").Listen(factory);
            var client = new RecordingClient();
            var failed = false;
            try
            {
                await WebSocketClient.Connect(reactor, $"wss://localhost:{((IPEndPoint)port.GetHost()).Port}/", client);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                failed = true;
            }
            Assert.True(failed, "an untrusted self-signed certificate must fail the TLS handshake");
            Assert.Equal(0, client.Seen.Opened);
            await WhenConnectionsClosed(reactor);
            await port.StopListening();
        }
        return true;
    });

    [Fact]
    public Task ConnectOverAnEndpoint_UrlNamesTheRequest_EndpointMakesTheConnection() => RunOnReactor(async reactor =>
    {
        var socket = Path.Combine(_dir, "ws.sock");
        RecordingServer? server = null;
        var factory = new WebSocketServerFactory(reactor, () => server = new RecordingServer());
        var port = await WebSocketEndpoints.Listen(reactor, "unix:" + socket, factory);
        var client = new RecordingClient { OnOpenAction = c => c.SendClose(1000) };
        // Patient close timeouts (1 s by default): a loaded machine must not turn this close into an unclean one.
        var patient = new WebSocketClientOptions { CloseHandshakeTimeout = TimeSpan.FromSeconds(30), ServerConnectionDropTimeout = TimeSpan.FromSeconds(30) };
        await WebSocketClient.ConnectOver(Endpoint.ClientFromString(reactor, "unix:" + socket), "ws://chat.example/room", client, patient, clock: reactor);
        await WhenConnectionsClosed(reactor);
        Assert.Equal("chat.example", server!.Request!.Host);
        Assert.Equal("/room", server.Request.Path);
        Assert.Equal([(true, (int?)1000)], client.Seen.Closes.Select(c => (c.WasClean, c.Code)));
        await port.StopListening();
        return true;
    });

    [Fact]
    public void EndpointStrings_WsIsTcp_WssIsSsl_OthersPassThrough_BadOnesRefused()
    {
        var reactor = new MemoryReactor();
        Assert.Equal(9000, Assert.IsType<TcpServerEndpoint>(WebSocketEndpoints.ServerFromString(reactor, "ws:9000")).Port);
        Assert.IsType<TcpServerEndpoint>(WebSocketEndpoints.ServerFromString(reactor, "tcp:9000"));
        Assert.IsType<UnixServerEndpoint>(WebSocketEndpoints.ServerFromString(reactor, "unix:/tmp/x.sock"));
        Assert.Throws<EndpointFormatException>(() => WebSocketEndpoints.ServerFromString(reactor, "wss:9443:privateKey=/nonexistent.pem"));
        Assert.Throws<EndpointFormatException>(() => WebSocketEndpoints.ServerFromString(reactor, "wsx:9000"));
        Assert.Throws<ArgumentException>(() => WebSocketClient.Prepare(new RecordingClient(), "http://example.com/"));
    }

    private static X509Certificate2 CertificateWithKey()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
