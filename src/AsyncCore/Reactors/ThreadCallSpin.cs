using System.Diagnostics;
using AsyncCore.Reactor;

namespace AsyncCore.Reactors;

/// <summary>
/// A reactor's yielding wait for the next thread call before it sleeps (<see cref="ReactorOptions.SpinBeforeSleep"/>).
/// Work handed over by another thread (an I/O completion posted by the runtime's socket engine, a database reply, a
/// Redis reply) must wake a reactor that sleeps: a signal by the posting thread and a return from the kernel here, which
/// at one request in flight cost about a tenth of the server's CPU per message (perf, issue 17). A reactor that yields
/// instead is runnable when the call comes, so the poster signals nothing, and on a shared core the yields hand the core
/// to the posting thread (the runtime's own thread pool waits for work the same way).
/// </summary>
/// <remarks>
/// Adaptive: spins only while spinning pays (the last sleep was ended by a thread call within the window, or the last
/// spin found one), and not for 100 ms after a yield lost the core to another thread for a millisecond.
/// </remarks>
internal sealed class ThreadCallSpin(SpinPolicy policy)
{
    // A request/response peer answers within tens of microseconds; 50 µs is EpollReactor's I/O polling window too.
    private static readonly TimeSpan s_window = TimeSpan.FromMicroseconds(50);
    private static readonly long s_windowTicks = s_window.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;

    // After a spin lost the core to another thread, no spinning before this Stopwatch timestamp: on a core shared with a
    // busy thread, every spin costs that thread's time slice (measured with a CPU hog beside a 1-connection echo: p50
    // 3.7 ms instead of 0.13 ms sleeping, as raw .NET default sockets whose pool worker yields the same way).
    private static readonly long s_holdOffTicks = Stopwatch.Frequency / 10;

    // A yield longer than this lost the core to another thread's time slice. Shorter ones are the poster's work or the
    // machine's noise: with 50 µs here, a loaded but hog-free core held the spin off most of the time (3 futex calls per
    // message, 0.59-0.80x raw default) where 1 ms kept it (0.02-0.46, 0.91-1.14x).
    private static readonly long s_lostCoreTicks = Stopwatch.Frequency / 1000;

    private bool _pays;
    private long _heldOffUntil;

    /// <summary>How many times the loop spun before sleeping: for tests.</summary>
    public long Spins { get; private set; }

    /// <summary>True when the reactor should spin before it sleeps.</summary>
    public bool ShouldSpin => policy == SpinPolicy.Always || (policy == SpinPolicy.Adaptive && _pays);

    /// <summary>The timestamp to pass to <see cref="Woke"/> when a sleep begins (0: the policy does not adapt).</summary>
    public long SleepStarts() => policy == SpinPolicy.Adaptive ? Stopwatch.GetTimestamp() : 0;

    /// <summary>A sleep that began at <paramref name="sleptAt"/> was ended by a thread call: spinning would have caught it when it came within the window.</summary>
    public void Woke(long sleptAt)
    {
        if (sleptAt == 0)
        {
            return;
        }
        var wokeAt = Stopwatch.GetTimestamp();
        _pays = wokeAt - sleptAt <= s_windowTicks && wokeAt >= _heldOffUntil;
    }

    /// <summary>
    /// Waits up to the window (and no longer than <paramref name="timeout"/>, the next timer) for
    /// <paramref name="hasCalls"/> without sleeping. Returns true when a call came or the timer fell due.
    /// </summary>
    public bool Spin(Func<bool> hasCalls, TimeSpan? timeout)
    {
        if (timeout == TimeSpan.Zero)
        {
            return true;
        }
        Spins++;
        // The window ends early when a timer falls due within it: the pass must run it.
        var timerFirst = timeout < s_window;
        var window = timerFirst ? timeout!.Value.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond : s_windowTicks;
        var now = Stopwatch.GetTimestamp();
        var deadline = now + window;
        var spinner = default(SpinWait);
        // SpinWait yields the thread (sched_yield) on a single processor, or once its short busy phase is over on
        // several: the thread that must run to post the work (often on the same core) gets the core. The predicate is
        // called once per turn and its last answer kept: it may consume what it finds (EpollReactor polls its sockets).
        bool found;
        while (!(found = hasCalls()))
        {
            if (now >= deadline)
            {
                if (!timerFirst)
                {
                    // Nothing came within the window: sleep from now on until a sleep shows that spinning would pay again.
                    _pays = false;
                }
                return timerFirst;
            }
            spinner.SpinOnce(sleep1Threshold: -1);
            var before = now;
            now = Stopwatch.GetTimestamp();
            if (now - before > s_lostCoreTicks && policy == SpinPolicy.Adaptive)
            {
                // One yield lasted a millisecond: another thread had this core for a time slice. Each yield would hand it
                // over again and push this thread back in the scheduler's queue, whereas a thread woken from sleep gets
                // the core back promptly: so sleep, and do not spin again for a while.
                _pays = false;
                _heldOffUntil = now + s_holdOffTicks;
                break;
            }
        }
        if (!found)
        {
            return false;
        }
        _pays = now >= _heldOffUntil;
        return true;
    }
}
