using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Transports;

/// <summary>
/// The completion-based transports (EventLoopReactor) have the runtime complete their sockets' operations on its engine
/// thread, which posts straight to the reactor, instead of going through a thread-pool worker (issue 17).
/// </summary>
public class SocketCompletionsTests : IDisposable
{
    private readonly RunningReactor _net = new(epoll: false);

    public void Dispose()
    {
        _net.Dispose();
        GC.SuppressFinalize(this);
    }

    // The socket's own getter is trimmed out of the shipped runtime; the flag lives on its handle.
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_PreferInlineCompletions")]
    private static extern bool PreferInlineCompletions(SafeSocketHandle handle);

    private sealed class ThreadRecordingEcho : Protocol
    {
        public int DataThread { get; private set; }

        public Deferred<int> Echoed { get; } = new();

        public override void DataReceived(ReadOnlySpan<byte> data)
        {
            DataThread = Environment.CurrentManagedThreadId;
            Transport.Write(data);
            if (!Echoed.Called)
            {
                Echoed.Callback(data.Length);
            }
        }
    }

    [Fact]
    public async Task PlainTcp_ServerAndClientSockets_CompleteInlineAndProtocolsStillRunOnTheReactorThread()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "I/O completion ports: the runtime has no engine thread to complete on");
        var reactorThread = await _net.Run(() => Environment.CurrentManagedThreadId);
        var servers = new List<ThreadRecordingEcho>();
        var port = await _net.Run(() => _net.Reactor.ListenTcp(0, new ServerFactory(() =>
        {
            var p = new ThreadRecordingEcho();
            servers.Add(p);
            return p;
        }), interfaceAddress: "127.0.0.1"));
        var client = new CollectingProtocol();
        var endpoint = new TcpClientEndpoint(_net.Reactor, "127.0.0.1", ((IPEndPoint)port.GetHost()).Port);
        await _net.Call(() => Endpoint.ConnectProtocol(endpoint, client));
        await _net.Run(() =>
        {
            client.Transport.Write("ping"u8);
            return 0;
        });
        await _net.Call(() => servers.Single().Echoed);
        var server = servers.Single();

        Assert.True(PreferInlineCompletions(((ISocketTransport)server.Transport).Socket.SafeHandle));
        Assert.True(PreferInlineCompletions(((ISocketTransport)client.Transport).Socket.SafeHandle));
        // Inline completions must not move protocol code off the reactor: the engine thread only posts to it.
        Assert.Equal(reactorThread, server.DataThread);
        await _net.Run(() =>
        {
            client.Transport.LoseConnection();
            return 0;
        });
        await _net.Call(() => client.Lost);
        await _net.Call(port.StopListening);
    }
}
