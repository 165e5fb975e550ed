using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Transports;

/// <summary>
/// A TLS server does not hold a socket forever for a client that connects and never finishes the handshake (issue 18): the
/// handshake has a timeout, and stopping the port or the reactor closes the handshakes still pending.
/// </summary>
public class TlsHandshakeTimeoutTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);
    private readonly RunningReactor _net;
    private readonly X509Certificate2 _certificate = MakeCertificate();

    /// <summary>Runs the tests on the default <see cref="AsyncCore.Reactors.EventLoopReactor"/>.</summary>
    public TlsHandshakeTimeoutTests() : this(epoll: false)
    {
    }

    /// <summary>Runs the tests on the given reactor kind.</summary>
    protected TlsHandshakeTimeoutTests(bool epoll) => _net = new RunningReactor(epoll);

    public void Dispose()
    {
        _net.Dispose();
        _certificate.Dispose();
        GC.SuppressFinalize(this);
    }

    private static X509Certificate2 MakeCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private async Task<(IListeningPort Port, int Number)> Listen(TlsServerOptions options)
    {
        var port = await _net.Run(() => _net.Reactor.ListenSsl(0, new ServerFactory(() => new EchoProtocol()), options, interfaceAddress: "127.0.0.1"));
        return (port, ((IPEndPoint)port.GetHost()).Port);
    }

    /// <summary>Connects a plain TCP client that sends nothing.</summary>
    private static Socket Silent(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = (int)s_wait.TotalMilliseconds };
        socket.Connect(IPAddress.Loopback, port);
        return socket;
    }

    /// <summary>True when the server closed the connection (end of stream or reset); false when it is still open after the wait.</summary>
    private static async Task<bool> ClosedByServer(Socket socket)
    {
        var buffer = new byte[16];
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, TestContext.Current.CancellationToken).AsTask().WaitAsync(s_wait, TestContext.Current.CancellationToken) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task WaitForPendingHandshakes(IListeningPort port, int count)
    {
        var deadline = DateTime.UtcNow + s_wait;
        while (await _net.Run(() => ((StreamPort)port).PendingHandshakes) != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the server never accepted {count} connection(s)");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void HandshakeTimeout_DefaultsToTenSeconds_AndRejectsNonPositiveValues()
    {
        var options = new TlsServerOptions(_certificate);
        Assert.Equal(TimeSpan.FromSeconds(10), options.HandshakeTimeout);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.HandshakeTimeout = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.HandshakeTimeout = TimeSpan.FromSeconds(-1));
        options.HandshakeTimeout = Timeout.InfiniteTimeSpan;
        Assert.Equal(Timeout.InfiniteTimeSpan, options.HandshakeTimeout);
    }

    [Fact]
    public async Task SilentClient_IsDisconnectedOnceTheHandshakeTimesOut()
    {
        var (port, number) = await Listen(new TlsServerOptions(_certificate) { HandshakeTimeout = TimeSpan.FromMilliseconds(200) });
        using var client = Silent(number);
        Assert.True(await ClosedByServer(client));
        await WaitForPendingHandshakes(port, 0);
    }

    [Fact]
    public async Task PendingHandshake_IsClosedByStopListening()
    {
        var (port, number) = await Listen(new TlsServerOptions(_certificate) { HandshakeTimeout = Timeout.InfiniteTimeSpan });
        using var client = Silent(number);
        await WaitForPendingHandshakes(port, 1);
        await _net.Call(port.StopListening);
        Assert.True(await ClosedByServer(client));
        Assert.Equal(0, await _net.Run(() => ((StreamPort)port).PendingHandshakes));
    }

    [Fact]
    public async Task PendingHandshake_IsClosedByReactorShutdown()
    {
        var (port, number) = await Listen(new TlsServerOptions(_certificate) { HandshakeTimeout = Timeout.InfiniteTimeSpan });
        using var client = Silent(number);
        await WaitForPendingHandshakes(port, 1);
        _net.Dispose();
        Assert.True(await ClosedByServer(client));
    }

    [Fact]
    public async Task CompletedHandshake_IsNotClosedByTheTimeoutLater()
    {
        var timeout = TimeSpan.FromSeconds(3);
        var (port, number) = await Listen(new TlsServerOptions(_certificate) { HandshakeTimeout = timeout });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, number, TestContext.Current.CancellationToken);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, TestContext.Current.CancellationToken);
        await WaitForPendingHandshakes(port, 0);
        // Past the handshake timeout: the connection must still echo.
        await Task.Delay(timeout + TimeSpan.FromSeconds(0.5), TestContext.Current.CancellationToken);
        await tls.WriteAsync("ping"u8.ToArray(), TestContext.Current.CancellationToken);
        var buffer = new byte[4];
        await tls.ReadExactlyAsync(buffer, TestContext.Current.CancellationToken).AsTask().WaitAsync(s_wait, TestContext.Current.CancellationToken);
        Assert.Equal("ping"u8.ToArray(), buffer);
    }
}

/// <summary>The same on <see cref="AsyncCore.Reactors.EpollReactor"/>.</summary>
public sealed class TlsHandshakeTimeoutEpollTests : TlsHandshakeTimeoutTests
{
    /// <summary>Runs the tests on the epoll reactor.</summary>
    public TlsHandshakeTimeoutEpollTests() : base(epoll: true)
    {
    }
}
