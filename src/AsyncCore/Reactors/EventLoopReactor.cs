using System.Diagnostics;
using AsyncCore.Reactor;
using AsyncCore.Transports;

namespace AsyncCore.Reactors;

/// <summary>
/// A reactor whose loop runs on a thread of its own (the one calling <see cref="Run"/>, or a dedicated one with
/// <see cref="ReactorThreadExtensions.RunInBackground"/>): the single thread that runs every Deferred callback, timer and protocol event.
/// While it runs, the reactor's <see cref="SynchronizationContext"/> is installed on that thread, so <c>await</c>
/// continuations come back to it.
/// </summary>
/// <example>
/// <code>
/// var reactor = new EventLoopReactor();
/// reactor.CallLater(TimeSpan.FromSeconds(1), () =&gt; Console.WriteLine("a second later"));
/// reactor.CallLater(TimeSpan.FromSeconds(2), reactor.Stop);
/// reactor.Run();   // returns after the shutdown triggers ran
/// </code>
/// </example>
public sealed class EventLoopReactor : NetworkReactorBase
{
    // Spinning briefly before blocking keeps CallFromThread round trips fast when the reactor is busy.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 20);
    private readonly ReactorLifetime _lifetime;
    private int _sleeping;

    // How long the loop waits for work with yields (SpinWait) instead of sleeping, when spinning pays
    // (ReactorOptions.SpinBeforeSleep). I/O completes on the runtime's socket engine thread, which posts to this loop; a
    // loop asleep on the event must then be woken: a futex wake on the engine thread and a futex wait here, about a
    // tenth of the server's CPU per message at one connection (perf, issue 17). A loop that yields instead is runnable
    // when the post comes, so the engine thread signals nothing, and on a shared core the yields hand the core to the
    // engine thread as soon as it is woken (the runtime's own thread pool waits for work the same way, which is how raw
    // default sockets answered one connection faster than this loop). A request/response peer answers within tens of
    // microseconds; 50 µs is EpollReactor's polling window for the same reason.
    private static readonly TimeSpan s_spinWindow = TimeSpan.FromMicroseconds(50);
    private static readonly long s_spinTicks = s_spinWindow.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
    private readonly SpinPolicy _spinPolicy;
    private bool _spinPays;

    // After a spin lost the core to another thread (Adaptive only), no spinning before this Stopwatch timestamp: on a core
    // shared with a busy thread, every spin costs that thread's time slice (measured with a CPU hog beside a 1-connection
    // echo: p50 3.7 ms instead of 0.13 ms sleeping, as raw .NET default sockets whose pool worker yields the same way).
    private static readonly long s_holdOffTicks = Stopwatch.Frequency / 10;

    // A yield longer than this lost the core to another thread's time slice (milliseconds). Shorter ones are the engine
    // thread's post or the machine's noise: with 50 µs here, a loaded but hog-free core held the spin off most of the
    // time (3 futex calls per message, 0.59-0.80x raw default) where 1 ms kept it (0.02-0.46, 0.91-1.14x).
    private static readonly long s_lostCoreTicks = Stopwatch.Frequency / 1000;
    private long _spinHeldOffUntil;

    /// <summary>Creates a reactor; it does nothing until <see cref="Run"/>.</summary>
    public EventLoopReactor(ReactorOptions? options = null) : base(options)
    {
        SynchronizationContext = new ReactorSynchronizationContext(this);
        _spinPolicy = options?.SpinBeforeSleep ?? SpinPolicy.Adaptive;
        _lifetime = new ReactorLifetime(this, _wake.Dispose);
    }

    /// <summary>How many times the loop spun before sleeping (<see cref="ReactorOptions.SpinBeforeSleep"/>): for tests.</summary>
    internal long Spins { get; private set; }

    /// <summary>The context installed on the reactor thread while the loop runs.</summary>
    public SynchronizationContext SynchronizationContext { get; }

    /// <summary>
    /// Runs the loop on the calling thread: fires the startup event, then runs passes until <see cref="ReactorBase.Stop"/>
    /// has gone through the shutdown event; then returns.
    /// </summary>
    /// <exception cref="ReactorAlreadyRunningException">The reactor is running.</exception>
    /// <exception cref="ReactorNotRestartableException">The reactor was stopped before.</exception>
    /// <exception cref="ObjectDisposedException">The reactor was disposed.</exception>
    public override void Run()
    {
        _lifetime.Enter();
        try
        {
            RunLoop(SynchronizationContext, static reactor => ((EventLoopReactor)reactor).Wait(null));
        }
        finally
        {
            _lifetime.Exit();
        }
    }

    /// <summary>
    /// Runs one pass of the loop on the calling thread without running the reactor (Twisted's <c>reactor.iterate</c>,
    /// for tests and for driving the reactor by hand): the thread calls and due timers, then waits up to
    /// <paramref name="delay"/> for more work (a thread call, a stop request or the next timer), without running it.
    /// No startup or shutdown event fires.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    /// <exception cref="ReactorAlreadyRunningException">The loop is running (<see cref="Run"/> has not returned).</exception>
    public void Iterate(TimeSpan delay = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        if (Started)
        {
            // A nested pass would break the pass rule (calls queued during a pass run on the next one).
            throw new ReactorAlreadyRunningException();
        }
        var previous = System.Threading.SynchronizationContext.Current;
        System.Threading.SynchronizationContext.SetSynchronizationContext(SynchronizationContext);
        try
        {
            RunUntilCurrent();
        }
        finally
        {
            System.Threading.SynchronizationContext.SetSynchronizationContext(previous);
        }
        if (delay > TimeSpan.Zero)
        {
            Wait(delay);
        }
    }

    private protected override void WakeUp()
    {
        if (Volatile.Read(ref _sleeping) == 1 && Interlocked.Exchange(ref _sleeping, 0) == 1)
        {
            _wake.Set();
        }
    }

    /// <summary>
    /// Sleeps until the next timer is due or a thread call (or stop request) arrives, and no longer than
    /// <paramref name="limit"/> when given. In the running loop (no limit), spins first when spinning pays.
    /// </summary>
    private void Wait(TimeSpan? limit)
    {
        if (HasPendingThreadCalls)
        {
            // Calls arrived during the pass: run the next pass at once, without the sleep handshake (a reset and an
            // interlocked write the producers would then see).
            return;
        }
        if (limit is null && (_spinPolicy == SpinPolicy.Always || (_spinPolicy == SpinPolicy.Adaptive && _spinPays)) && SpinForWork())
        {
            return;
        }
        _wake.Reset();
        Interlocked.Exchange(ref _sleeping, 1);
        // Re-check after announcing sleep: a call queued before the announcement did not signal.
        var timeout = ComputeTimeout();
        if (limit is { } cap && (timeout is null || timeout > cap))
        {
            timeout = cap;
        }
        if (timeout != TimeSpan.Zero)
        {
            var milliseconds = timeout is { } t ? (int)Math.Min(Math.Ceiling(t.TotalMilliseconds), int.MaxValue - 1) : Timeout.Infinite;
            var adaptive = limit is null && _spinPolicy == SpinPolicy.Adaptive;
            var sleptAt = adaptive ? Stopwatch.GetTimestamp() : 0;
            var woken = _wake.Wait(milliseconds);
            if (adaptive && woken)
            {
                // Woken by a thread call (I/O, mostly): spinning would have caught it when it came within the window.
                var wokeAt = Stopwatch.GetTimestamp();
                _spinPays = wokeAt - sleptAt <= s_spinTicks && wokeAt >= _spinHeldOffUntil;
            }
        }
        Volatile.Write(ref _sleeping, 0);
    }

    /// <summary>
    /// Waits up to the spin window (and no longer than the next timer) for a thread call without sleeping: the loop stays
    /// runnable, so a producer's <see cref="WakeUp"/> has nothing to signal. Returns true when one came.
    /// </summary>
    private bool SpinForWork()
    {
        var timeout = ComputeTimeout();
        if (timeout == TimeSpan.Zero)
        {
            return true;
        }
        Spins++;
        // The window ends early when a timer falls due within it: the pass must run it.
        var timerFirst = timeout < s_spinWindow;
        var window = timerFirst ? timeout!.Value.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond : s_spinTicks;
        var now = Stopwatch.GetTimestamp();
        var deadline = now + window;
        var spinner = default(SpinWait);
        // SpinWait yields the thread (sched_yield) on a single processor, or once its short busy phase is over on
        // several: the thread that must run to post the work (the socket engine's, often on the same core) gets the core.
        while (!HasPendingThreadCalls)
        {
            if (now >= deadline)
            {
                if (!timerFirst)
                {
                    // Nothing came within the window: sleep from now on until a sleep shows that spinning would pay again.
                    _spinPays = false;
                }
                return timerFirst;
            }
            spinner.SpinOnce(sleep1Threshold: -1);
            var before = now;
            now = Stopwatch.GetTimestamp();
            if (now - before > s_lostCoreTicks && _spinPolicy == SpinPolicy.Adaptive)
            {
                // One yield lasted a millisecond: another thread (not the engine's short post) had this core for a time
                // slice. Each yield would hand it over again and push this thread back in the scheduler's queue, whereas a
                // thread woken from sleep gets the core back promptly: so sleep, and do not spin again for a while.
                _spinPays = false;
                _spinHeldOffUntil = now + s_holdOffTicks;
                break;
            }
        }
        if (!HasPendingThreadCalls)
        {
            return false;
        }
        _spinPays = now >= _spinHeldOffUntil;
        return true;
    }

    /// <summary>
    /// Releases the wake-up event. On a running reactor, stops it first and (from another thread) waits until
    /// <see cref="Run"/> has gone through the shutdown event; on the reactor thread, the event is released when the loop
    /// ends.
    /// </summary>
    public override void Dispose() => _lifetime.Dispose();

    /// <summary>
    /// Like <see cref="Dispose"/>, waiting for a running reactor's shutdown without blocking. Do not await it on the
    /// reactor thread: the loop it waits for is the one running the awaiting code.
    /// </summary>
    public override ValueTask DisposeAsync() => _lifetime.DisposeAsync();
}
