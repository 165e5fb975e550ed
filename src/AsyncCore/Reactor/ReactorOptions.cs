using Microsoft.Extensions.Logging;

namespace AsyncCore.Reactor;

/// <summary>Settings of a reactor, given to its constructor.</summary>
public sealed class ReactorOptions
{
    /// <summary>The reactor's name: its thread's name, the metrics' <c>reactor</c> tag and the log scope. Default "reactor".</summary>
    public string Name { get; set; } = "reactor";

    /// <summary>
    /// A callback (thread call, timer or trigger) that holds the reactor thread longer than this is logged as a stall,
    /// with its name and duration. Default 100 ms; <see cref="Timeout.InfiniteTimeSpan"/> turns the detector off.
    /// </summary>
    public TimeSpan StallThreshold { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The fewest threads the reactor's thread pool keeps once started. Default 0.</summary>
    public int MinThreads { get; set; }

    /// <summary>The most threads the reactor's thread pool may use (Twisted's default, 10).</summary>
    public int MaxThreads { get; set; } = 10;

    /// <summary>
    /// Where the reactor reads the time: its <see cref="ReactorBase.Now"/>, its timers' due times and its
    /// <see cref="ReactorBase.TimeProvider"/>'s timestamps and wall-clock time. Default <see cref="System.TimeProvider.System"/>.
    /// </summary>
    /// <remarks>
    /// With another provider (a <c>FakeTimeProvider</c> in a test, say) the reactor sleeps until that provider's own timer
    /// says its next delayed call is due, so moving the provider's time forward runs the reactor's due calls. The stall
    /// detector measures real time whatever the provider.
    /// </remarks>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Where the reactor and everything running on its thread log (AsyncCore's loggers, failing cancellers, stalls, the
    /// "Unhandled error in Deferred" reports made at shutdown); the reactor's thread pool too. Null means
    /// <see cref="AsyncCoreLogging.LoggerFactory"/> (standard error unless the application set it);
    /// <c>NullLoggerFactory.Instance</c> silences the reactor.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// When true, Deferreds and Failures created on the reactor's thread while it runs record where they were created and
    /// first fired, and the unhandled-failure reports include those stacks (<see cref="Deferred.Debug"/> for this
    /// reactor only). Costly: for tests and investigations. Default false.
    /// </summary>
    public bool DebugDeferreds { get; set; }

    /// <summary>
    /// Whether the reactor keeps looking for work for up to 50 µs before it sleeps. <c>EpollReactor</c> polls for I/O
    /// (<c>epoll_wait</c> with a zero timeout) after a pass that handled socket events; both reactors wait for the next
    /// thread call (on <c>EventLoopReactor</c> the socket engine posts each I/O completion as one; on either, a Redis
    /// reply or a database result comes as one) with yields instead of sleeping (<c>EpollReactor</c> polls its sockets
    /// meanwhile). Either spares a peer that answers or streams within microseconds the cost of waking the reactor (a futex or
    /// cross-CPU wake-up, expensive in a VM: bulk transfers ran 0.7x without it on <c>EpollReactor</c>), and costs that CPU
    /// when nothing comes. Default <see cref="SpinPolicy.Adaptive"/>: spins only while spinning has been finding work,
    /// so an idle or lightly loaded reactor does not burn CPU.
    /// </summary>
    public SpinPolicy SpinBeforeSleep { get; set; } = SpinPolicy.Adaptive;
}
