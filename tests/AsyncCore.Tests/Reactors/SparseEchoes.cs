using System.Net;
using System.Net.Sockets;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Tests.Transports;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Reactors;

/// <summary>Sparse one-byte echoes against a reactor, for the spin-before-sleep tests of both reactors.</summary>
internal static class SparseEchoes
{
    /// <summary>
    /// Echoes <paramref name="messages"/> bytes one at a time, 20 ms apart (far apart compared with the 50 µs spin
    /// window, so a spin after each echo finds nothing), and returns <paramref name="spins"/> read on the reactor thread.
    /// </summary>
    public static async Task<long> Run(bool epoll, SpinPolicy policy, int messages, Func<NetworkReactorBase, long> spins)
    {
        using var net = new RunningReactor(epoll, new ReactorOptions { SpinBeforeSleep = policy });
        var port = await net.Run(() => net.Reactor.ListenTcp(0, new ServerFactory(() => new EchoProtocol()), interfaceAddress: "127.0.0.1"));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync((IPEndPoint)port.GetHost(), TestContext.Current.CancellationToken);
        var buffer = new byte[1];
        for (var i = 0; i < messages; i++)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
            await client.SendAsync(new byte[] { (byte)i }, TestContext.Current.CancellationToken);
            Assert.Equal(1, await client.ReceiveAsync(buffer, TestContext.Current.CancellationToken));
            Assert.Equal((byte)i, buffer[0]);
        }
        return await net.Run(() => spins(net.Reactor));
    }
}
