using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Transports;

// Servers for the network benchmarks (bench/run-echo.sh pins each to one core):
//   asynccore-echo PORT   AsyncCore EventLoopReactor (completion-based transports), an echo Protocol on ListenTcp
//   asynccore-epoll-echo PORT   the same on EpollReactor (readiness-based transports, Linux)
//   raw-echo PORT         System.Net.Sockets async echo (await ReceiveAsync / SendAsync per connection)
//   asynccore-sink PORT   reads until end of stream, then answers the byte count (8 bytes, big-endian) and closes
//   raw-sink PORT         the same with raw sockets
//   asynccore-epoll-sink PORT   the sink on EpollReactor
// The AsyncCore servers (both reactors) take an optional third argument, the SpinBeforeSleep policy: adaptive (default),
// never, always.
if (args.Length is < 2 or > 3 || !int.TryParse(args[1], out var port))
{
    Console.Error.WriteLine("usage: AsyncCore.Net.Benchmarks asynccore-echo|asynccore-epoll-echo|raw-echo|asynccore-sink|asynccore-epoll-sink|raw-sink PORT [adaptive|never|always]");
    return 2;
}
var options = new ReactorOptions
{
    SpinBeforeSleep = args.Length == 3 ? Enum.Parse<SpinPolicy>(args[2], ignoreCase: true) : SpinPolicy.Adaptive,
};
switch (args[0])
{
    case "asynccore-echo":
        RunReactor(new EventLoopReactor(options), port, () => new Echo());
        break;
    case "asynccore-sink":
        RunReactor(new EventLoopReactor(options), port, () => new Sink());
        break;
    case "asynccore-epoll-echo" when OperatingSystem.IsLinux():
        RunReactor(new EpollReactor(options), port, () => new Echo());
        break;
    case "asynccore-epoll-sink" when OperatingSystem.IsLinux():
        RunReactor(new EpollReactor(options), port, () => new Sink());
        break;
    case "raw-echo":
        await RawServer(port, RawEcho);
        break;
    case "raw-sink":
        await RawServer(port, RawSink);
        break;
    default:
        Console.Error.WriteLine($"unknown server {args[0]}");
        return 2;
}
return 0;

static void RunReactor(NetworkReactorBase reactor, int port, Func<IProtocol> make)
{
    reactor.ListenTcp(port, new ServerFactory(make) { Noisy = false }, backlog: 512, interfaceAddress: "127.0.0.1");
    Console.Error.WriteLine($"asynccore listening on {port}");
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        reactor.CallFromThread(reactor.Stop);
    };
    AppDomain.CurrentDomain.ProcessExit += (_, _) => reactor.CallFromThread(reactor.Stop);
    reactor.Run();
    reactor.Dispose();
}

static async Task RawServer(int port, Func<Socket, Task> serve)
{
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
    listener.Listen(512);
    Console.Error.WriteLine($"raw listening on {port}");
    while (true)
    {
        var socket = await listener.AcceptAsync();
        socket.NoDelay = true;
        _ = serve(socket);
    }
}

static async Task RawEcho(Socket socket)
{
    var buffer = new byte[64 * 1024];
    try
    {
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
        }
    }
    catch (SocketException)
    {
    }
    finally
    {
        socket.Dispose();
    }
}

static async Task RawSink(Socket socket)
{
    var buffer = new byte[64 * 1024];
    long total = 0;
    try
    {
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            total += n;
        }
        var answer = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(answer, total);
        await socket.SendAsync(answer, SocketFlags.None);
    }
    catch (SocketException)
    {
    }
    finally
    {
        socket.Dispose();
    }
}

/// <summary>The AsyncCore echo protocol: what the benchmark measures is the transport, so it does nothing else.</summary>
internal sealed class Echo : Protocol
{
    public override void DataReceived(ReadOnlySpan<byte> data) => Transport.Write(data);
}

/// <summary>Counts bytes until the peer half-closes, then answers the count.</summary>
internal sealed class Sink : Protocol, IHalfCloseableProtocol
{
    private long _total;

    public override void DataReceived(ReadOnlySpan<byte> data) => _total += data.Length;

    public void ReadConnectionLost()
    {
        Span<byte> answer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(answer, _total);
        Transport.Write(answer);
        Transport.LoseConnection();
    }

    public void WriteConnectionLost()
    {
    }
}
