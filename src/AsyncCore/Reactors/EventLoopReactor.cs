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

    // Waits for the next thread call with yields before sleeping (ThreadCallSpin): I/O completes on the runtime's socket
    // engine thread, which posts to this loop, and a loop asleep on the event must then be woken by a futex.
    private readonly ThreadCallSpin _spin;
    private readonly Func<bool> _hasCalls;

    /// <summary>Creates a reactor; it does nothing until <see cref="Run"/>.</summary>
    public EventLoopReactor(ReactorOptions? options = null) : base(options)
    {
        SynchronizationContext = new ReactorSynchronizationContext(this);
        _spin = new ThreadCallSpin(options?.SpinBeforeSleep ?? SpinPolicy.Adaptive);
        _hasCalls = () => HasPendingThreadCalls;
        _lifetime = new ReactorLifetime(this, _wake.Dispose);
    }

    /// <summary>How many times the loop spun before sleeping (<see cref="ReactorOptions.SpinBeforeSleep"/>): for tests.</summary>
    internal long Spins => _spin.Spins;

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
        if (limit is null && _spin.ShouldSpin && _spin.Spin(_hasCalls, ComputeTimeout()))
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
            var sleptAt = limit is null ? _spin.SleepStarts() : 0;
            if (_wake.Wait(milliseconds))
            {
                // Woken by a thread call (I/O, mostly).
                _spin.Woke(sleptAt);
            }
        }
        Volatile.Write(ref _sleeping, 0);
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
