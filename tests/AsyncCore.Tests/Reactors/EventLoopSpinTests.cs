using System.Net;
using System.Net.Sockets;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Tests.Transports;

namespace AsyncCore.Tests.Reactors;

/// <summary>
/// <see cref="ReactorOptions.SpinBeforeSleep"/> on <see cref="EventLoopReactor"/> (issue 17): the loop may wait for the
/// next thread call (an I/O completion posted by the socket engine, mostly) with yields instead of sleeping on its event;
/// by default only while that pays, and never at the cost of a lost wake-up, a reordered call or a late timer.
/// </summary>
public class EventLoopSpinTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    /// <summary>Sparse echoes; returns how many times the loop spun before sleeping.</summary>
    private static Task<long> SparseEchoes(SpinPolicy policy, int messages) =>
        Reactors.SparseEchoes.Run(epoll: false, policy, messages, reactor => ((EventLoopReactor)reactor).Spins);

    [Fact]
    public async Task Always_SpinsBeforeSleeping()
    {
        // At least one spin per exchange (the pass that echoes is followed by one); half leaves room for a loaded machine.
        Assert.True(await SparseEchoes(SpinPolicy.Always, 10) >= 5);
    }

    [Fact]
    public async Task Never_DoesNotSpin()
    {
        Assert.Equal(0, await SparseEchoes(SpinPolicy.Never, 10));
    }

    [Fact]
    public async Task Adaptive_SparseTraffic_DoesNotSpin()
    {
        // Each sleep lasts ~20 ms before a completion wakes it, so spinning never looks worthwhile. Connection set-up may
        // bring a few calls in quick succession (and a loaded machine may make one exchange look fast): a few spins at
        // most, far from one per exchange as with Always.
        Assert.True(await SparseEchoes(SpinPolicy.Adaptive, 20) <= 4);
    }

    [Fact]
    public async Task Adaptive_IdleReactor_DoesNotSpin()
    {
        using var net = new RunningReactor(epoll: false, new ReactorOptions { SpinBeforeSleep = SpinPolicy.Adaptive });
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
            await net.Run(() => 0);
        }
        Assert.Equal(0, await net.Run(() => ((EventLoopReactor)net.Reactor).Spins));
    }

    [Theory]
    [InlineData(SpinPolicy.Always)]
    [InlineData(SpinPolicy.Adaptive)]
    public async Task PingPong_EchoesEveryByteInOrder(SpinPolicy policy)
    {
        // Tight request/response keeps a spinning loop finding completions in its spins: every byte must come back, in order.
        using var net = new RunningReactor(epoll: false, new ReactorOptions { SpinBeforeSleep = policy });
        var port = await net.Run(() => net.Reactor.ListenTcp(0, new ServerFactory(() => new EchoProtocol()), interfaceAddress: "127.0.0.1"));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync((IPEndPoint)port.GetHost(), TestContext.Current.CancellationToken);
        var message = new byte[64];
        var echo = new byte[64];
        for (var i = 0; i < 2000; i++)
        {
            for (var j = 0; j < message.Length; j++)
            {
                message[j] = (byte)(i + j);
            }
            await client.SendAsync(message, TestContext.Current.CancellationToken);
            var got = 0;
            while (got < echo.Length)
            {
                var n = await client.ReceiveAsync(echo.AsMemory(got), TestContext.Current.CancellationToken);
                Assert.NotEqual(0, n);
                got += n;
            }
            Assert.Equal(message, echo);
        }
    }
}
