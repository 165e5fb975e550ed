using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Testing;

namespace AsyncCore.Web.Tests;

/// <summary>The site over TLS from an <c>ssl:</c> endpoint string, and real clients (HttpClient, curl) against it.</summary>
public sealed class HttpsAndPeerTests : ReactorTestBase, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("asynccore-web-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A self-signed certificate for localhost and 127.0.0.1, written as PEM files.</summary>
    private (string Certificate, string Key) WritePem()
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
        return (certPath, keyPath);
    }

    [Fact]
    public Task Https_SslEndpointString_HttpClientKeepsOneConnection() => RunOnReactor(async reactor =>
    {
        var (cert, key) = WritePem();
        var (root, _, _) = TestSite.Build();
        var port = await Endpoint.ServerFromString(reactor, $"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}").Listen(new Site(root, clock: reactor));
        var portNumber = ((IPEndPoint)port.GetHost()).Port;

        var results = await Deferred.FromTask(Task.Run(async () =>
        {
            var connections = 0;
            using var handler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
                ConnectCallback = async (context, token) =>
                {
                    Interlocked.Increment(ref connections);
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    await socket.ConnectAsync(context.DnsEndPoint, token).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            using var client = new HttpClient(handler);
            var hello = await client.GetStringAsync(new Uri($"https://127.0.0.1:{portNumber}/hello/tls")).ConfigureAwait(false);
            using var posted = await client.PostAsync(new Uri($"https://127.0.0.1:{portNumber}/echo"), new StringContent("over tls")).ConfigureAwait(false);
            var echoed = await posted.Content.ReadAsStringAsync().ConfigureAwait(false);
            var pieces = await client.GetStringAsync(new Uri($"https://127.0.0.1:{portNumber}/pieces")).ConfigureAwait(false);
            return (hello, echoed, pieces, connections);
        }));

        Assert.Equal(("hello:tls", "over tls", "one,two", 1), results);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task Https_CurlInsecure_KeepAliveChunkedAndHead_IfInstalled() => RunOnReactor(async reactor =>
    {
        if (!Curl.Installed)
        {
            Assert.Skip("curl is not installed");
        }
        var (cert, key) = WritePem();
        var (root, _, _) = TestSite.Build();
        var port = await Endpoint.ServerFromString(reactor, $"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}").Listen(new Site(root, clock: reactor));
        var url = $"https://127.0.0.1:{((IPEndPoint)port.GetHost()).Port}";

        var (exit, output) = await Deferred.FromTask(Curl.Run("-k", "-s", "-v", "-i", url + "/pieces", url + "/hello/again"));
        var head = await Deferred.FromTask(Curl.Run("-k", "-s", "-I", url + "/hello"));

        Assert.Equal(0, exit);
        Assert.Contains("Transfer-Encoding: chunked", output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("one,two", output, StringComparison.Ordinal);
        Assert.Contains("hello:again", output, StringComparison.Ordinal);
        Assert.Contains("Re-using existing", output, StringComparison.Ordinal); // One TLS connection for both.
        Assert.Contains("Content-Length: 6", head.Output, StringComparison.OrdinalIgnoreCase);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task Curl_KeepAlive_HeadAndChunkedUpload_IfInstalled() => RunOnReactor(async reactor =>
    {
        if (!Curl.Installed)
        {
            Assert.Skip("curl is not installed");
        }
        var (root, _, _) = TestSite.Build();
        var port = reactor.ListenTcp(0, new Site(root, clock: reactor), interfaceAddress: "127.0.0.1");
        var url = $"http://127.0.0.1:{((IPEndPoint)port.GetHost()).Port}";

        var keepAlive = await Deferred.FromTask(Curl.Run("-s", "-v", url + "/hello/1", url + "/hello/2"));
        var head = await Deferred.FromTask(Curl.Run("-s", "-I", url + "/hello"));
        var upload = await Deferred.FromTask(Curl.Run("-s", "-H", "Transfer-Encoding: chunked", "--data-binary", "chunked body", url + "/echo"));

        Assert.Contains("hello:1", keepAlive.Output, StringComparison.Ordinal);
        Assert.Contains("hello:2", keepAlive.Output, StringComparison.Ordinal);
        Assert.Contains("Re-using existing", keepAlive.Output, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200 OK", head.Output, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 6", head.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Equal((0, "chunked body"), upload);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    /// <summary>Writes a first part, then keeps the response open.</summary>
    private sealed class Partial : Resource
    {
        public Deferred<Exception> Gone { get; } = new();

        protected override RenderResult RenderGet(Request request)
        {
            request.Write("first part\n");
            _ = request.NotifyFinish().AddBoth(outcome =>
            {
                Gone.Callback(outcome.Failure!.Value);
                return true;
            });
            return RenderResult.NotDoneYet;
        }
    }

    [Fact]
    public Task ClientDisconnect_MidResponse_FailsNotifyFinish_AndLaterWritesAreDropped() => RunOnReactor(async reactor =>
    {
        var partial = new Partial();
        var root = new Resource();
        root.PutChild("partial", partial);
        var port = reactor.ListenTcp(0, new Site(root, clock: reactor), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;

        var received = await Deferred.FromTask(Task.Run(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, portNumber).ConfigureAwait(false);
            await socket.SendAsync("GET /partial HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray()).ConfigureAwait(false);
            var text = new StringBuilder();
            var buffer = new byte[4096];
            while (!text.ToString().Contains("first part", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(buffer).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                text.Append(Encoding.Latin1.GetString(buffer, 0, n));
            }
            return text.ToString(); // The socket closes here, mid-response.
        }));

        Assert.Contains("Transfer-Encoding: chunked", received, StringComparison.Ordinal);
        var error = await partial.Gone;
        Assert.IsAssignableFrom<ConnectionClosedException>(error);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });
}
