using System.Net;
using System.Net.Sockets;
using System.Text;
using AsyncCore.Testing;

namespace AsyncCore.Web.Tests;

/// <summary>
/// The write timeout (a client that stops reading while the server writes is disconnected), and a <see cref="Site"/>
/// given no clock enforcing its timeouts on the reactor that accepted the connection.
/// </summary>
public sealed class SlowReaderAndReactorClockTests : ReactorTestBase, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("asynccore-web-slow-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A tree with a 16 MiB file at <c>/static/big.bin</c>, sent by a FileSender under backpressure.</summary>
    private Resource BigFileTree()
    {
        File.WriteAllBytes(Path.Combine(_dir, "big.bin"), new byte[16 << 20]);
        var root = new Resource();
        root.PutChild("static", new StaticFile(_dir));
        return root;
    }

    /// <summary>Writes 32 MiB, far more than the socket buffers on both sides hold, then finishes.</summary>
    private sealed class Huge : Resource
    {
        public List<Request> Requests { get; } = [];

        protected override RenderResult RenderGet(Request request)
        {
            Requests.Add(request);
            request.SetHeader("Content-Length", (32 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture));
            var block = new byte[1 << 20];
            for (var i = 0; i < 32; i++)
            {
                request.Write(block);
            }
            request.Finish();
            return RenderResult.NotDoneYet;
        }
    }

    /// <summary>A site that counts the connections it built a protocol for (on the reactor thread, at the accept).</summary>
    private sealed class CountingSite(Resource root, WebServerOptions options, IReactorTime clock) : Site(root, options, clock)
    {
        public int Built { get; private set; }

        public override AsyncCore.Protocols.IProtocol? BuildProtocol(EndPoint? address)
        {
            Built++;
            return base.BuildProtocol(address);
        }
    }

    [Fact]
    public Task ClientThatStopsReading_IsDisconnected_AfterTheWriteTimeout_WithoutAnExplicitClock() => RunOnReactor(async reactor =>
    {
        var root = new Resource();
        var huge = new Huge();
        root.PutChild("huge", huge);
        // No clock: the site must use the reactor's.
        var port = reactor.ListenTcp(0, new Site(root, new WebServerOptions { WriteTimeout = TimeSpan.FromMilliseconds(300) }), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await Deferred.FromTask(socket.ConnectAsync(IPAddress.Loopback, portNumber).ContinueWith(_ => true, TaskScheduler.Default));
        socket.Send("GET /huge HTTP/1.1\r\nHost: x\r\n\r\n"u8);

        // The client reads nothing; the server's buffer cannot drain, and the connection is aborted. Wait for the
        // request first: until the reactor has accepted the connection, there is no connection to wait for.
        while (huge.Requests.Count == 0)
        {
            await reactor.DeferLater(TimeSpan.FromMilliseconds(5));
        }
        await WhenConnectionsClosed(reactor);

        Assert.Single(huge.Requests);
        var received = await Deferred.FromTask(Task.Run(() =>
        {
            long total = 0;
            var buffer = new byte[65536];
            try
            {
                int n;
                while ((n = socket.Receive(buffer)) > 0)
                {
                    total += n;
                }
            }
            catch (SocketException)
            {
                // The abort resets the connection.
            }
            return total;
        }));
        Assert.True(received < 32 << 20, $"received {received}");
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task ClientThatStopsReading_AStaticFile_IsDisconnected() => RunOnReactor(async reactor =>
    {
        var site = new CountingSite(BigFileTree(), new WebServerOptions { WriteTimeout = TimeSpan.FromMilliseconds(300) }, reactor);
        var port = reactor.ListenTcp(0, site, interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await Deferred.FromTask(socket.ConnectAsync(IPAddress.Loopback, portNumber).ContinueWith(_ => true, TaskScheduler.Default));
        socket.Send("GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n"u8);

        // The client's connect can complete before the reactor accepts: wait for the accept first, or there would be no
        // connection to wait for yet (the test would end with the connection still to come).
        while (site.Built == 0)
        {
            await reactor.DeferLater(TimeSpan.FromMilliseconds(5));
        }
        await WhenConnectionsClosed(reactor); // The FileSender is paused, the buffer stays full: aborted.

        await port.StopListening();
        return true;
    });

    [Fact]
    public Task SlowButSteadyReader_IsNotDisconnected() => RunOnReactor(async reactor =>
    {
        var root = BigFileTree();
        // The reader takes something every millisecond or so; on a loaded machine a thread-pool delay can still stretch
        // to hundreds of milliseconds, so the timeout is far above that and far below the test's own limit.
        var port = reactor.ListenTcp(0, new Site(root, new WebServerOptions { WriteTimeout = TimeSpan.FromSeconds(3) }), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;

        var received = await Deferred.FromTask(Task.Run(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 65536 };
            await socket.ConnectAsync(IPAddress.Loopback, portNumber).ConfigureAwait(false);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /static/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).ConfigureAwait(false);
            long total = 0;
            var buffer = new byte[256 * 1024];
            int n;
            while ((n = await socket.ReceiveAsync(buffer).ConfigureAwait(false)) > 0)
            {
                total += n;
                await Task.Delay(1).ConfigureAwait(false); // Slower than the server could write, but always taking some.
            }
            return total;
        }));

        Assert.True(received > 16 << 20, $"received {received}"); // The whole body and its head.
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task IdleConnection_IsClosed_WithoutAnExplicitClock() => RunOnReactor(async reactor =>
    {
        var port = reactor.ListenTcp(0, new Site(new Resource(), new WebServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(200) }), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;

        var read = await Deferred.FromTask(Task.Run(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, portNumber).ConfigureAwait(false);
            return await socket.ReceiveAsync(new byte[16]).ConfigureAwait(false); // Sends nothing; the server closes.
        }));

        Assert.Equal(0, read);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });
}
