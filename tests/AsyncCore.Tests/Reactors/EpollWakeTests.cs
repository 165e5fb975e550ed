using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using AsyncCore.Reactor;
using AsyncCore.Reactors;

namespace AsyncCore.Tests.Reactors;

/// <summary>
/// EpollReactor's wake-up: an edge-triggered eventfd that is signalled once per sleep and never read back, except when
/// its counter is full.
/// </summary>
[SupportedOSPlatform("linux")]
public class EpollWakeTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public void ThreadCalls_WakeASleepingReactor_EveryTime()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "EpollReactor needs Linux");
        using var reactor = new EpollReactor(new ReactorOptions { SpinBeforeSleep = SpinPolicy.Never });
        // Calls 2 ms apart find the reactor asleep each time: an edge that was not re-armed would lose the second.
        RunSparseCalls(reactor, calls: 20, gapMilliseconds: 2);
    }

    [Fact]
    public void FullCounter_IsDrained_AndTheWakeUpStillComes()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "EpollReactor needs Linux");
        using var reactor = new EpollReactor(new ReactorOptions { SpinBeforeSleep = SpinPolicy.Never });
        // The counter one below its maximum (2^64 - 2): the next signal's write fails with EAGAIN.
        ulong nearlyFull = ulong.MaxValue - 1;
        Assert.Equal(8, write(reactor.WakeDescriptor, ref nearlyFull, 8));
        RunSparseCalls(reactor, calls: 3, gapMilliseconds: 5);
    }

    /// <summary>Runs the reactor on a thread and makes <paramref name="calls"/> thread calls, each after a pause.</summary>
    private static void RunSparseCalls(EpollReactor reactor, int calls, int gapMilliseconds)
    {
        var loop = new Thread(reactor.Run) { IsBackground = true, Name = "wake test reactor" };
        loop.Start();
        for (var i = 0; i < calls; i++)
        {
            Thread.Sleep(gapMilliseconds);
            AssertRuns(reactor, i);
        }
        reactor.CallFromThread(reactor.Stop);
        Assert.True(loop.Join(s_bound));
    }

    /// <summary>A thread call must run within the bound (a lost wake-up would leave the reactor asleep for ever).</summary>
    private static void AssertRuns(EpollReactor reactor, int call)
    {
        using var ran = new ManualResetEventSlim();
        reactor.CallFromThread(ran.Set);
        Assert.True(ran.Wait(s_bound, TestContext.Current.CancellationToken), $"call {call} never ran");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, ref ulong value, nint count);
}
