using System.Net;
using System.Net.Sockets;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Transports;

/// <summary>
/// The echo server of the README and docs/networking.md registers its transport as its own streaming producer, so a
/// peer that sends without reading cannot make the server buffer without bound (issue 18): above the high-water mark
/// the transport stops reading until its write buffer drains.
/// </summary>
public class EchoBackpressureTests : IDisposable
{
    private const long Cap = 64L << 20;
    private readonly RunningReactor _net;

    /// <summary>Runs the test on the default <see cref="AsyncCore.Reactors.EventLoopReactor"/>.</summary>
    public EchoBackpressureTests() : this(epoll: false)
    {
    }

    /// <summary>Runs the test on the given reactor kind.</summary>
    protected EchoBackpressureTests(bool epoll) => _net = new RunningReactor(epoll);

    public void Dispose()
    {
        _net.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The README's echo protocol, measuring its transport's write buffer after each write.</summary>
    private sealed class Echo : Protocol
    {
        private long _maxBuffered;

        public long MaxBuffered => Interlocked.Read(ref _maxBuffered);

        public int HighWaterMark { get; private set; } = int.MaxValue;

        public override void ConnectionMade()
        {
            HighWaterMark = ((IWriteBuffered)Transport).HighWaterMark;
            // The transport is its own producer: paused (it stops reading) while the peer does not read.
            Transport.RegisterProducer(Transport, streaming: true);
        }

        public override void DataReceived(ReadOnlySpan<byte> data)
        {
            Transport.Write(data);
            var buffered = ((IWriteBuffered)Transport).BufferedBytes;
            if (buffered > Interlocked.Read(ref _maxBuffered))
            {
                Interlocked.Exchange(ref _maxBuffered, buffered);
            }
        }
    }

    [Fact]
    public async Task PeerThatDoesNotRead_ServerWriteBufferStaysNearTheHighWaterMark()
    {
        var echo = new Echo();
        var port = await _net.Run(() => _net.Reactor.ListenTcp(0, new ServerFactory(() => echo), interfaceAddress: "127.0.0.1"));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)port.GetHost()).Port, TestContext.Current.CancellationToken);
        client.Blocking = false;

        // Send and never read, until the server's buffer has passed the high-water mark and nothing more goes in for a
        // while (the server stopped reading and the kernel buffers are full), or until Cap bytes went out.
        var chunk = new byte[64 * 1024];
        long sent = 0;
        var lastProgress = DateTime.UtcNow;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (sent < Cap)
        {
            Assert.True(DateTime.UtcNow < deadline, $"sent {sent} bytes; the server's buffer peaked at {echo.MaxBuffered}");
            var n = client.Send(chunk, 0, chunk.Length, SocketFlags.None, out var error);
            if (error == SocketError.Success)
            {
                sent += n;
                lastProgress = DateTime.UtcNow;
                continue;
            }
            Assert.Equal(SocketError.WouldBlock, error);
            if (echo.MaxBuffered > echo.HighWaterMark && DateTime.UtcNow - lastProgress > TimeSpan.FromSeconds(1))
            {
                break;
            }
            client.Poll(TimeSpan.FromMilliseconds(100), SelectMode.SelectWrite);
        }

        // Without backpressure the server buffers nearly everything sent (megabytes); with it, one read past the mark.
        Assert.True(echo.MaxBuffered > echo.HighWaterMark, $"the server never filled its buffer ({echo.MaxBuffered} bytes, {sent} sent)");
        Assert.True(echo.MaxBuffered <= echo.HighWaterMark + (256 * 1024),
            $"the server buffered {echo.MaxBuffered} bytes for a peer that does not read ({sent} sent)");
    }
}

/// <summary>The same on <see cref="AsyncCore.Reactors.EpollReactor"/>.</summary>
public sealed class EchoBackpressureEpollTests : EchoBackpressureTests
{
    /// <summary>Runs the test on the epoll reactor.</summary>
    public EchoBackpressureEpollTests() : base(epoll: true)
    {
    }
}
