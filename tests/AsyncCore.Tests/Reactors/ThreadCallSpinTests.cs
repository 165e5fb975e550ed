using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Reactors;

/// <summary>
/// The yielding wait for the next thread call before sleeping (<see cref="ThreadCallSpin"/>, under
/// <see cref="ReactorOptions.SpinBeforeSleep"/>) on both reactors: work handed over by other threads (Redis replies,
/// database results, the socket engine's completions) finds the loop runnable, and never at the cost of a lost
/// wake-up, a reordered call or a late timer.
/// </summary>
public class ThreadCallSpinTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    public static TheoryData<bool, SpinPolicy> ReactorsAndPolicies()
    {
        var data = new TheoryData<bool, SpinPolicy>();
        foreach (var epoll in OperatingSystem.IsLinux() ? new[] { false, true } : [false])
        {
            foreach (var policy in new[] { SpinPolicy.Always, SpinPolicy.Adaptive, SpinPolicy.Never })
            {
                data.Add(epoll, policy);
            }
        }
        return data;
    }

    private static NetworkReactorBase Create(bool epoll, SpinPolicy policy)
    {
        var options = new ReactorOptions { SpinBeforeSleep = policy };
        return epoll && OperatingSystem.IsLinux() ? new EpollReactor(options) : new EventLoopReactor(options);
    }

    /// <summary>How many times the loop waited for a thread call before sleeping.</summary>
    private static long CallSpins(NetworkReactorBase reactor) => reactor switch
    {
        EventLoopReactor loop => loop.Spins,
        EpollReactor epoll when OperatingSystem.IsLinux() => epoll.CallSpins,
        _ => throw new InvalidOperationException(reactor.GetType().Name),
    };

    /// <summary>
    /// A worker that waits for each call's answer before queueing the next, <paramref name="calls"/> times; returns the
    /// loop's spins. The calls' order is checked.
    /// </summary>
    private static long PingPong(NetworkReactorBase reactor, int calls)
    {
        var loop = new Thread(reactor.Run) { IsBackground = true, Name = "spin test reactor" };
        loop.Start();
        var seen = new List<int>(calls);
        using var answered = new SemaphoreSlim(0);
        for (var i = 0; i < calls; i++)
        {
            var n = i;
            reactor.CallFromThread(() =>
            {
                seen.Add(n);
                answered.Release();
            });
            Assert.True(answered.Wait(s_bound, TestContext.Current.CancellationToken), $"call {n} never ran");
        }
        var spins = reactor.BlockingCallFromThread(() => Deferred.Succeed(CallSpins(reactor)));
        reactor.CallFromThread(reactor.Stop);
        Assert.True(loop.Join(s_bound));
        Assert.Equal(Enumerable.Range(0, calls), seen);
        return spins;
    }

    [Theory]
    [MemberData(nameof(ReactorsAndPolicies))]
    public void ThreadCallPingPong_EveryCallRunsOnceInOrder(bool epoll, SpinPolicy policy)
    {
        // Each call's answer is awaited before the next is queued, so the calls hit every phase of the loop's wait: the
        // spin, the moment between the spin and announcing sleep, and the sleep. A call queued in a gap the wake-up
        // handshake missed would never run (the worker would wait for ever); a call run twice or out of order shows.
        using var reactor = Create(epoll, policy);
        var spins = PingPong(reactor, 5000);
        if (policy == SpinPolicy.Never)
        {
            Assert.Equal(0, spins);
        }
        else if (policy == SpinPolicy.Always)
        {
            // Every pass that ran a call is followed by a wait for the next; half leaves room for a loaded machine.
            Assert.True(spins >= 2500, $"{spins} spins for 5000 calls");
        }
    }

    [Theory]
    [MemberData(nameof(ReactorsAndPolicies))]
    public void SparseThreadCalls_AdaptiveDoesNotSpin(bool epoll, SpinPolicy policy)
    {
        // Calls 20 ms apart: each sleep lasts far longer than the window, so spinning never looks worthwhile.
        using var reactor = Create(epoll, policy);
        var loop = new Thread(reactor.Run) { IsBackground = true, Name = "spin test reactor" };
        loop.Start();
        for (var i = 0; i < 10; i++)
        {
            Thread.Sleep(20);
            reactor.BlockingCallFromThread(() => Deferred.Succeed(0));
        }
        var spins = reactor.BlockingCallFromThread(() => Deferred.Succeed(CallSpins(reactor)));
        reactor.CallFromThread(reactor.Stop);
        Assert.True(loop.Join(s_bound));
        switch (policy)
        {
            case SpinPolicy.Never:
                Assert.Equal(0, spins);
                break;
            case SpinPolicy.Adaptive:
                // A loaded machine may make one call look prompt: a few spins at most, far from one per call.
                Assert.True(spins <= 3, $"{spins} spins for 10 sparse calls");
                break;
            default:
                Assert.True(spins >= 5, $"{spins} spins for 10 sparse calls");
                break;
        }
    }

    [Theory]
    [MemberData(nameof(ReactorsAndPolicies))]
    public void TimerFiresWhileThreadCallsKeepComing(bool epoll, SpinPolicy policy)
    {
        // A loop that keeps finding work in its spins must still run its timers each pass.
        using var reactor = Create(epoll, policy);
        var loop = new Thread(reactor.Run) { IsBackground = true, Name = "spin test reactor" };
        using var fired = new ManualResetEventSlim();
        reactor.CallWhenRunning(() => reactor.CallLater(TimeSpan.FromMilliseconds(10), fired.Set));
        loop.Start();
        var deadline = DateTime.UtcNow + s_bound;
        var fed = 0;
        while (!fired.IsSet && DateTime.UtcNow < deadline)
        {
            reactor.CallFromThread(static () => { });
            fed++;
            Thread.SpinWait(50);
        }
        reactor.CallFromThread(reactor.Stop);
        Assert.True(loop.Join(s_bound));
        Assert.True(fired.IsSet, $"the timer did not fire while {fed} thread calls came");
    }
}
