using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Reactor;

/// <summary>
/// What every reactor shares, whatever drives it (its own thread or a host's loop): the thread-call queue, the timer
/// heap, the three-phase system events, the startup and shutdown sequence, the thread pool and the stall detector
/// (Twisted's <c>ReactorBase</c>).
/// </summary>
/// <remarks>
/// <para>
/// One pass of the loop (<see cref="RunUntilCurrent"/>) runs, in order: the thread calls queued when the pass began
/// (FIFO; calls queued meanwhile wait for the next pass), then every timer due now that was scheduled before the timer
/// phase began (a timer scheduled or reset inside this pass, even with a zero delay, waits for the next pass), then,
/// if <see cref="Stop"/> was called, the shutdown event. An exception from a call is logged and the loop goes on.
/// </para>
/// <para>
/// Only <see cref="CallFromThread(Action)"/>, <see cref="CallInThread"/>, <see cref="Stop"/>,
/// <see cref="IsReactorThread"/>, <see cref="Now"/> and <see cref="TimeProvider"/> may be used from other threads. Everything else (timers, triggers, Deferreds) belongs
/// to the reactor thread, or to the thread setting the reactor up before it runs.
/// </para>
/// </remarks>
public abstract partial class ReactorBase : IReactor
{
    /// <summary>The origin of <see cref="Now"/> for every reactor on the system clock, so that they share one scale.</summary>
    private static readonly long s_origin = Stopwatch.GetTimestamp();
    private static readonly double s_secondsPerTick = 1.0 / Stopwatch.Frequency;
    private static readonly TimerCallback s_wakeUp = static state => ((ReactorBase)state!).WakeUp();

    private static readonly Action<object?> s_stopIfRunning = static state => ((ReactorBase)state!).StopIfRunning();

    private readonly ConcurrentQueue<ThreadCall> _threadCalls = new();
    private readonly TimerHeap _timers = new();
    private readonly Dictionary<string, ThreePhaseEvent> _events = new(StringComparer.Ordinal);
    private readonly Action<Delegate, Action> _invokeTrigger;
    private readonly CancellationTokenSource _abandoned = new();
    private readonly Lock _poolLock = new();
    private readonly ReactorOptions _options;
    private readonly TimeProvider _timeSource;
    private readonly bool _systemTime;
    private readonly long _timeOrigin;
    private readonly double _ticksPerTimestamp;
    private ITimer? _wakeTimer;
    private IDisposable? _trackerInstallation;
    private ReactorThreadPool? _threadPool;
    private ReactorMetrics? _metrics;
    private long _sequence;
    private long _stallTicks;
    private int _threadId = -1;
    private volatile bool _started;
    private volatile bool _stopped;
    private volatile bool _running;
    private bool _startedBefore;
    private bool _justStopped;
    private bool _crashed;
    // 1 from a successful start until the loop has finished (FinishRunning): what a second Run is refused on.
    private int _claimed;

    /// <summary>Creates the shared state; <paramref name="options"/> null means the defaults.</summary>
    private protected ReactorBase(ReactorOptions? options)
    {
        _options = options ?? new ReactorOptions();
        Name = _options.Name;
        // Without a factory of its own the reactor follows the process default, even if the application sets it later.
        Logger = _options.LoggerFactory?.CreateLogger("AsyncCore.Reactor") ?? AsyncCoreLogging.CreateProcessWideLogger("AsyncCore.Reactor");
        UnhandledFailures = new UnhandledFailureTracker("reactor " + Name, _options.LoggerFactory) { Debug = _options.DebugDeferreds };
        StallThreshold = _options.StallThreshold;
        _timeSource = _options.TimeProvider ?? throw new ArgumentException("ReactorOptions.TimeProvider is null.", nameof(options));
        _systemTime = ReferenceEquals(_timeSource, TimeProvider.System);
        _timeOrigin = _systemTime ? s_origin : _timeSource.GetTimestamp();
        _ticksPerTimestamp = (double)TimeSpan.TicksPerSecond / _timeSource.TimestampFrequency;
        TimeProvider = new ReactorTimeProvider(this, _timeSource);
        _invokeTrigger = (callable, action) => InvokeDescribed(action, callable, "system event trigger");
        // Twisted's built-in triggers: 'running' becomes true during startup; the loop ends and the thread pool stops
        // during shutdown (after every before-shutdown Deferred has fired).
        AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Startup, ReallyStartRunning);
        AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Shutdown, EndLoop);
        AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Shutdown, StopThreadPool);
    }

    /// <summary>The reactor's name (thread name, metrics tag).</summary>
    public string Name { get; }

    /// <summary>The reactor's logger (category <c>AsyncCore.Reactor</c>).</summary>
    protected internal ILogger Logger { get; }

    /// <summary>
    /// The failed Deferreds of this reactor's thread that nobody has consumed yet. Installed on the reactor thread while
    /// the reactor runs (it is also where AsyncCore logs there: <see cref="ReactorOptions.LoggerFactory"/>); what is still
    /// in it when the reactor shuts down is reported then, after the shutdown triggers, as "Unhandled error in Deferred".
    /// </summary>
    public UnhandledFailureTracker UnhandledFailures { get; }

    /// <inheritdoc />
    public bool Running => _running;

    /// <inheritdoc />
    public bool IsReactorThread => Environment.CurrentManagedThreadId == Volatile.Read(ref _threadId);

    /// <summary>
    /// The reactor whose loop runs on the calling thread (an <c>EventLoopReactor</c> or <c>EpollReactor</c>, found through
    /// the <see cref="SynchronizationContext"/> its loop installs), or null off a reactor thread. For code that is called on
    /// the reactor thread without being given the reactor, such as a server factory's protocols wanting its clock.
    /// </summary>
    public static ReactorBase? Current => (SynchronizationContext.Current as ReactorSynchronizationContext)?.Reactor;

    /// <summary>
    /// A callback that holds the reactor thread longer than this is logged as a stall (warning, with its name and
    /// duration) and counted in the <c>asynccore.reactor.stalls</c> metric. <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan StallThreshold
    {
        get => _stallTicks == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(_stallTicks * s_secondsPerTick);
        set => _stallTicks = value == Timeout.InfiniteTimeSpan || value < TimeSpan.Zero
            ? long.MaxValue
            : (long)(value.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Thread calls queued and not run yet (any thread may read it).</summary>
    public int PendingThreadCalls => _threadCalls.Count;

    /// <summary>Delayed calls scheduled and not run or cancelled yet.</summary>
    public int PendingTimerCount => _timers.Count;

    /// <summary>True once <see cref="Stop"/> was accepted; the shutdown sequence is under way or done.</summary>
    public bool Stopping => _stopped;

    /// <summary>True while the loop runs (from the start of <c>Run</c> until the during-shutdown phase ends it).</summary>
    protected bool Started => _started;

    /// <summary>Cancelled once the reactor will run no more thread calls (its pool is stopping or its loop ended).</summary>
    internal CancellationToken ThreadCallsAbandoned => _abandoned.Token;

    // ---- IReactorCore ---------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public abstract void Run();

    /// <summary>
    /// Asks the reactor to stop: the shutdown event fires at the end of the current pass. From another thread, the
    /// request is handed to the reactor thread (use this to stop a reactor from a worker).
    /// </summary>
    /// <exception cref="ReactorNotRunningException">The reactor is not running, or already stopping.</exception>
    public void Stop()
    {
        if (_stopped || !_started)
        {
            throw new ReactorNotRunningException();
        }
        if (!IsReactorThread)
        {
            EnqueueThreadCall(s_stopIfRunning, this);
            return;
        }
        _stopped = true;
        _justStopped = true;
        _startedBefore = true;
        // A host-driven reactor may be between passes: make sure a pass comes to fire the shutdown event.
        WakeUp();
    }

    /// <summary>Stops the reactor unless it is not running or already stopping; callable from any thread.</summary>
    internal void StopIfRunning()
    {
        if (!IsReactorThread)
        {
            EnqueueThreadCall(s_stopIfRunning, this);
            return;
        }
        if (_started && !_stopped)
        {
            Stop();
        }
    }

    /// <inheritdoc />
    public void CallWhenRunning(Action callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        if (_running)
        {
            callable();
        }
        else
        {
            AddSystemEventTrigger(SystemEventPhase.After, SystemEvents.Startup, callable);
        }
    }

    /// <inheritdoc />
    public SystemEventTrigger AddSystemEventTrigger(SystemEventPhase phase, string eventType, Action callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        return GetEvent(eventType).Add(phase, callable, null);
    }

    /// <inheritdoc />
    public SystemEventTrigger AddSystemEventTrigger(SystemEventPhase phase, string eventType, Func<Deferred?> callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        return GetEvent(eventType).Add(phase, null, callable);
    }

    /// <inheritdoc />
    public void RemoveSystemEventTrigger(SystemEventTrigger trigger)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        if (!_events.TryGetValue(trigger.EventType, out var ev))
        {
            throw new ArgumentException("Unknown or already removed system event trigger.", nameof(trigger));
        }
        ev.Remove(trigger);
    }

    /// <inheritdoc />
    public void FireSystemEvent(string eventType)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        if (_events.TryGetValue(eventType, out var ev))
        {
            ev.Fire(_invokeTrigger);
        }
    }

    private ThreePhaseEvent GetEvent(string eventType)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        if (!_events.TryGetValue(eventType, out var ev))
        {
            ev = new ThreePhaseEvent(eventType, Logger);
            _events.Add(eventType, ev);
        }
        return ev;
    }

    // ---- IReactorTime ---------------------------------------------------------------------------------------------

    /// <summary>
    /// The time on the reactor's monotonic scale, read from <see cref="ReactorOptions.TimeProvider"/>'s timestamps (not
    /// wall-clock time). On the system clock every reactor of the process shares one origin.
    /// </summary>
    public TimeSpan Now => new(NowTicks);

    /// <summary><see cref="Now"/> in <see cref="TimeSpan"/> ticks, the unit of <see cref="DelayedCall"/> due times.</summary>
    internal long NowTicks =>
        (long)(((_systemTime ? Stopwatch.GetTimestamp() : _timeSource.GetTimestamp()) - _timeOrigin) * _ticksPerTimestamp);

    /// <summary>
    /// The reactor as a <see cref="System.TimeProvider"/> for .NET code: <c>Task.Delay(delay, reactor.TimeProvider)</c>,
    /// <c>new CancellationTokenSource(delay, reactor.TimeProvider)</c>, <c>new PeriodicTimer(period, reactor.TimeProvider)</c>.
    /// Its timers are the reactor's delayed calls, so their callbacks run on the reactor thread; it may be used from any
    /// thread (a timer created, changed or disposed elsewhere is handed to the reactor thread with
    /// <see cref="CallFromThread(Action)"/>, so a reactor that is not running yet picks it up when it starts, and a stopped
    /// one never runs it). Its timestamps and wall-clock time are those of <see cref="ReactorOptions.TimeProvider"/>.
    /// </summary>
    /// <remarks>
    /// It is not the provider given in <see cref="ReactorOptions.TimeProvider"/>: that one's timers run on its own threads
    /// (the thread pool, for the system clock) and the reactor could not sleep until them. It wraps it: time is read from
    /// it, timers go on the reactor's timer heap.
    /// </remarks>
    public TimeProvider TimeProvider { get; }

    /// <summary><see cref="Now"/> in seconds, as a double, as Twisted's <c>seconds()</c> (a compatibility helper for ported code).</summary>
    public double Seconds() => NowTicks / (double)TimeSpan.TicksPerSecond;

    IDelayedCall IReactorTime.CallLater(TimeSpan delay, Action callable) => CallLater(delay, callable);

    /// <summary>
    /// Schedules <paramref name="callable"/> to run on the reactor thread after <paramref name="delay"/>. Calls due at the
    /// same time run in the order they were scheduled; a call scheduled from inside a timer runs no earlier than the next
    /// pass, even with a zero delay.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">Called from another thread while the reactor runs.</exception>
    public IDelayedCall CallLater(TimeSpan delay, Action callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        ThrowIfForeignThread();
        return CallAt(AddTicks(NowTicks, delay.Ticks), callable);
    }

    /// <summary>Schedules <paramref name="callable"/> at <paramref name="dueTicks"/> on the <see cref="NowTicks"/> scale.</summary>
    internal DelayedCall CallAt(long dueTicks, Action callable)
    {
        var call = new DelayedCall(this, dueTicks, callable)
        {
            Sequence = _sequence++,
            // Debug mode: remember who scheduled it, for reports of calls left pending (Twisted's DelayedCall.debug).
            Creator = DebugInfo.Capturing ? new System.Diagnostics.StackTrace(1, true) : null,
        };
        _timers.Insert(call);
        OnTimersChanged();
        return call;
    }

    /// <summary>Adds two tick counts, saturating at <see cref="long.MaxValue"/> (a delay of <see cref="TimeSpan.MaxValue"/> means never).</summary>
    internal static long AddTicks(long ticks, long more) => more > 0 && ticks > long.MaxValue - more ? long.MaxValue : ticks + more;

    /// <inheritdoc />
    public IReadOnlyList<IDelayedCall> GetDelayedCalls()
    {
        var calls = new IDelayedCall[_timers.Count];
        for (var i = 0; i < calls.Length; i++)
        {
            calls[i] = _timers[i];
        }
        return calls;
    }

    internal void RemoveTimer(DelayedCall call)
    {
        ThrowIfForeignThread();
        _timers.Remove(call);
    }

    internal void UpdateTimer(DelayedCall call, bool newSequence)
    {
        ThrowIfForeignThread();
        if (newSequence)
        {
            call.Sequence = _sequence++;
        }
        _timers.Update(call);
        OnTimersChanged();
    }

    private void ThrowIfForeignThread()
    {
        if (_started && !IsReactorThread)
        {
            throw new InvalidOperationException(
                "Timers belong to the reactor thread; from another thread use CallFromThread(() => reactor.CallLater(...)).");
        }
    }

    // ---- IReactorThreads ------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public void CallFromThread(Action callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        EnqueueThreadCall(callable, null);
    }

    /// <summary>
    /// Like <see cref="CallFromThread(Action)"/>, passing <paramref name="state"/> to a (typically static) callback so
    /// that the hot path allocates no closure.
    /// </summary>
    public void CallFromThread(Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        EnqueueThreadCall(callback, state);
    }

    internal void EnqueueThreadCall(Delegate callback, object? state)
    {
        _threadCalls.Enqueue(new ThreadCall(callback, state));
        WakeUp();
    }

    /// <inheritdoc />
    public void CallInThread(Action callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        GetThreadPool().CallInThread(callable);
    }

    /// <inheritdoc />
    public void SuggestThreadPoolSize(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var pool = GetThreadPool();
        pool.AdjustPoolSize(Math.Min(pool.MinThreads, size), size);
    }

    /// <summary>
    /// The reactor's thread pool (created on first use with <see cref="ReactorOptions.MinThreads"/> and
    /// <see cref="ReactorOptions.MaxThreads"/>), started when the reactor runs and stopped during shutdown.
    /// </summary>
    public ReactorThreadPool GetThreadPool()
    {
        if (Volatile.Read(ref _threadPool) is { } existing)
        {
            return existing;
        }
        lock (_poolLock)
        {
            if (_threadPool is null)
            {
                var pool = new ReactorThreadPool(_options.MinThreads, _options.MaxThreads, Name + "-pool", Logger);
                if (_running)
                {
                    pool.Start();
                }
                Volatile.Write(ref _threadPool, pool);
            }
            return _threadPool;
        }
    }

    private void StopThreadPool()
    {
        _abandoned.Cancel();
        ReactorThreadPool? pool;
        lock (_poolLock)
        {
            pool = _threadPool;
        }
        pool?.Stop();
    }

    // ---- the loop -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Checks that the reactor may start and claims it for the calling thread, which becomes the reactor thread. Changes
    /// nothing when it throws: a <c>Run</c> refused because the reactor is running must leave that run alone (its
    /// <see cref="Stop"/>, its shutdown triggers, its loop).
    /// </summary>
    /// <exception cref="ReactorAlreadyRunningException">The reactor is running (its loop has not returned).</exception>
    /// <exception cref="ReactorNotRestartableException">The reactor was stopped before.</exception>
    private void ClaimStart()
    {
        // Atomic: two threads calling Run at once must not both start the loop.
        if (Interlocked.CompareExchange(ref _claimed, 1, 0) != 0)
        {
            throw new ReactorAlreadyRunningException();
        }
        if (_startedBefore)
        {
            Volatile.Write(ref _claimed, 0);
            throw new ReactorNotRestartableException();
        }
        // Not marked as started before here: only Stop makes a reactor unrestartable (Twisted), so Run may follow Crash.
        _crashed = false;
        Volatile.Write(ref _threadId, Environment.CurrentManagedThreadId);
        _metrics = new ReactorMetrics(this);
        _started = true;
        _stopped = false;
        _trackerInstallation = UnhandledFailures.Install();
    }

    /// <summary>
    /// Checks that the reactor may start (changing nothing when it may not), makes the calling thread the reactor thread
    /// and fires the startup event (before triggers see <see cref="Running"/> false; the during phase sets it;
    /// <see cref="CallWhenRunning"/> callbacks run in the after phase).
    /// </summary>
    private protected void StartRunning()
    {
        ClaimStart();
        FireSystemEvent(SystemEvents.Startup);
    }

    /// <summary>
    /// The loop every thread-owning reactor runs: with <paramref name="context"/> installed on the calling thread, a pass
    /// of thread calls and due timers, then <paramref name="waitForWork"/> (sleep until I/O, a timer or a thread call),
    /// until the reactor stops or crashes.
    /// </summary>
    private protected void RunLoop(SynchronizationContext context, Action<ReactorBase> waitForWork)
    {
        // Outside the try: a refused Run (the reactor runs, or ran) must not reach FinishRunning, which would end the
        // running loop without its shutdown sequence and make the reactor unrestartable.
        ClaimStart();
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            FireSystemEvent(SystemEvents.Startup);
            while (Started)
            {
                RunUntilCurrent();
                if (!Started)
                {
                    break;
                }
                waitForWork(this);
            }
        }
        finally
        {
            FinishRunning(mayRunAgain: true);
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private void ReallyStartRunning()
    {
        _running = true;
        lock (_poolLock)
        {
            _threadPool?.Start();
        }
    }

    /// <summary>
    /// Leaves the loop at the end of the current pass without the shutdown sequence: no shutdown trigger runs and the
    /// thread pool keeps running (Twisted's <c>reactor.crash()</c>, for tests and emergencies). <see cref="Run"/> may be
    /// called again afterwards (on an <c>EventLoopReactor</c>): the startup event fires again, and thread calls
    /// and timers left pending run then. Does nothing when the reactor is not running. Reactor thread only.
    /// </summary>
    public void Crash()
    {
        if (!_started)
        {
            return;
        }
        ThrowIfForeignThread();
        _crashed = !_stopped;
        EndLoop();
    }

    /// <summary>Leaves the loop (also the built-in during-shutdown trigger).</summary>
    private void EndLoop()
    {
        _started = false;
        _running = false;
        // Triggers are consumed when their event fires: a later Run needs 'running' set again (Twisted's crash does this).
        AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Startup, ReallyStartRunning);
    }

    /// <summary>
    /// Called once the loop has ended, on the reactor thread: releases what the run held. Unless the loop was crashed and
    /// <paramref name="mayRunAgain"/>, later thread calls are never run (workers waiting for one are released) and the
    /// failed Deferreds nobody consumed are reported.
    /// </summary>
    private protected void FinishRunning(bool mayRunAgain)
    {
        _started = false;
        _running = false;
        var installation = _trackerInstallation;
        _trackerInstallation = null;
        installation?.Dispose();
        if (!(mayRunAgain && _crashed))
        {
            _startedBefore = true;
            _abandoned.Cancel();
            // The deterministic report: after the shutdown triggers, whatever failed and was never consumed. A crashed
            // reactor that may run again keeps them tracked for its next run.
            if (installation is not null)
            {
                UnhandledFailures.ReportPending();
            }
        }
        _metrics?.Dispose();
        _metrics = null;
        _wakeTimer?.Dispose();
        _wakeTimer = null;
        Volatile.Write(ref _claimed, 0);
    }

    /// <summary>True when thread calls are waiting (the loop must not sleep).</summary>
    private protected bool HasPendingThreadCalls => !_threadCalls.IsEmpty;

    /// <summary>How long the loop may wait for work: until the next timer, zero when thread calls wait, null for ever.</summary>
    private protected TimeSpan? ComputeTimeout()
    {
        if (!_threadCalls.IsEmpty || _justStopped)
        {
            return TimeSpan.Zero;
        }
        if (_timers.Peek() is not { } next)
        {
            return null;
        }
        var ticks = next.DueTicks - NowTicks;
        if (ticks <= 0)
        {
            return TimeSpan.Zero;
        }
        if (!_systemTime)
        {
            // Another time source moves at its own pace (a test's fake clock may jump or stand still): sleeping for the
            // real time left would be wrong either way. Its own timer wakes the loop when the next call falls due.
            _wakeTimer ??= _timeSource.CreateTimer(s_wakeUp, this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _wakeTimer.Change(TimeSpan.FromTicks(Math.Min(ticks, MaxWaitTicks)), Timeout.InfiniteTimeSpan);
            // The source's time may have moved between the reading and the arming (another thread advancing a fake clock).
            return next.DueTicks <= NowTicks ? TimeSpan.Zero : null;
        }
        return TimeSpan.FromTicks(Math.Min(ticks, MaxWaitTicks));
    }

    /// <summary>The longest single wait (Twisted's 2147483 s cap), within what every timer and wait API accepts.</summary>
    private const long MaxWaitTicks = 2147483 * TimeSpan.TicksPerSecond;

    /// <summary>Runs one pass: the thread calls queued when it began, then the due timers, then a requested shutdown.</summary>
    private protected void RunUntilCurrent()
    {
        var watch = new StallWatch(this);
        // The count is taken once: calls queued from here on (by these very calls, say) wait for the next pass.
        var count = _threadCalls.Count;
        while (count-- > 0 && _threadCalls.TryDequeue(out var call))
        {
            Invoke(call.Callback, call.State, "thread call");
            watch.After(call.Callback, call.State, "thread call");
        }

        if (_timers.Count > 0)
        {
            var now = NowTicks;
            // Timers scheduled (or reset) from here on carry a sequence at or above the limit: they wait for the next pass.
            var limit = _sequence;
            var lag = _metrics?.Lag;
            while (_timers.Peek() is { } top && top.DueTicks <= now && top.Sequence < limit)
            {
                _timers.Pop();
                if (lag is { Enabled: true })
                {
                    lag.Record((now - top.DueTicks) / (double)TimeSpan.TicksPerSecond, _metrics!.Tag);
                }
                var callable = top.TakeForRun();
                Invoke(callable, null, "timer");
                watch.After(callable, null, "timer");
            }
        }

        if (_justStopped)
        {
            _justStopped = false;
            FireSystemEvent(SystemEvents.Shutdown);
        }
    }

    /// <summary>Runs one callback; an exception is logged and the loop goes on.</summary>
    private void Invoke(Delegate callback, object? state, string kind)
    {
        try
        {
            if (callback is Action action)
            {
                action();
            }
            else if (callback is Action<object?> withState)
            {
                withState(state);
            }
            else
            {
                ((SendOrPostCallback)callback)(state);
            }
        }
        catch (Exception ex)
        {
            Logger.LogError(ex, "Unhandled exception in {Kind} {Callable} on reactor {Reactor}", kind, CallableName.Of(callback, state), Name);
        }
    }

    private void InvokeDescribed(Action action, Delegate described, string kind)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            action();
        }
        catch (Exception ex)
        {
            Logger.LogError(ex, "Unhandled exception in {Kind} {Callable} on reactor {Reactor}", kind, CallableName.Of(described), Name);
        }
        var elapsed = Stopwatch.GetTimestamp() - start;
        if (elapsed > _stallTicks)
        {
            ReportStall(described, null, kind, elapsed * s_secondsPerTick);
        }
    }

    private void ReportStall(Delegate callback, object? state, string kind, double seconds)
    {
        var name = CallableName.Of(callback, state);
        Logger.LogWarning("Reactor {Reactor} stalled: {Kind} {Callable} held the reactor thread for {Milliseconds:0.0} ms (threshold {Threshold} ms)",
            Name, kind, name, seconds * 1000, StallThreshold.TotalMilliseconds);
        if (_metrics is { } metrics)
        {
            metrics.Stalls.Add(1, metrics.Tag, new KeyValuePair<string, object?>("callable", name));
            metrics.StallDuration.Record(seconds, metrics.Tag);
        }
        Stalled?.Invoke(new ReactorStall(name, kind, TimeSpan.FromSeconds(seconds)));
    }

    /// <summary>Raised on the reactor thread after a callback held it longer than <see cref="StallThreshold"/>.</summary>
    public event Action<ReactorStall>? Stalled;

    /// <summary>Wakes the loop so it notices new thread calls, a stop request or changed timers. Thread-safe and cheap.</summary>
    private protected abstract void WakeUp();

    /// <summary>Called on the reactor thread after a timer was added or moved.</summary>
    private protected virtual void OnTimersChanged()
    {
    }

    private readonly record struct ThreadCall(Delegate Callback, object? State);

    /// <summary>
    /// Times the callbacks of one pass for the stall detector at a low cost per callback: the pass loop is the
    /// CallFromThread hot path, and <see cref="Stopwatch.GetTimestamp"/> costs tens of nanoseconds on a virtual machine
    /// (about 60 ns with kvm-clock), more than the rest of a thread call.
    /// </summary>
    /// <remarks>
    /// With a threshold of at least <see cref="CoarseThresholdMinimum"/>, each callback reads only the kernel's coarse
    /// clock (<see cref="Environment.TickCount64"/>, a memory read that moves every 1 to 10 ms) and the precise clock is
    /// read only when the coarse one has moved. A callback running past the threshold spans a coarse tick, so it is always
    /// seen; its duration is measured on the precise clock from the last precise reading, which was taken in the coarse
    /// tick the callback started in: at most one coarse tick (10 ms at worst, 4 ms on most Linux kernels) too long.
    /// With a smaller threshold every callback reads the precise clock, as does a callback's end when the detector is off
    /// (never).
    /// </remarks>
    private struct StallWatch
    {
        /// <summary>Below this threshold the coarse clock is too coarse (its tick can reach 10 ms): every callback is timed precisely.</summary>
        internal static readonly long CoarseThresholdMinimum = Stopwatch.Frequency / 50;

        private readonly ReactorBase _reactor;
        private readonly byte _mode;
        private long _coarse;
        private long _stamp;

        public StallWatch(ReactorBase reactor)
        {
            _reactor = reactor;
            var threshold = reactor._stallTicks;
            _mode = threshold == long.MaxValue ? Off : threshold >= CoarseThresholdMinimum ? Coarse : Precise;
            if (_mode != Off)
            {
                Restart();
            }
        }

        private const byte Off = 0;
        private const byte Coarse = 1;
        private const byte Precise = 2;

        /// <summary>Called after each callback of the pass.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void After(Delegate callback, object? state, string kind)
        {
            if (_mode == Coarse)
            {
                var coarse = Environment.TickCount64;
                if (coarse != _coarse)
                {
                    Check(callback, state, kind, coarse);
                }
            }
            else if (_mode == Precise)
            {
                Check(callback, state, kind, _coarse);
            }
        }

        private void Check(Delegate callback, object? state, string kind, long coarse)
        {
            var now = Stopwatch.GetTimestamp();
            var elapsed = now - _stamp;
            if (elapsed > _reactor._stallTicks)
            {
                _reactor.ReportStall(callback, state, kind, elapsed * s_secondsPerTick);
                Restart();
                return;
            }
            _coarse = coarse;
            _stamp = now;
        }

        private void Restart()
        {
            // Coarse first: the precise reading then lies in (or after) the coarse tick recorded with it.
            _coarse = Environment.TickCount64;
            _stamp = Stopwatch.GetTimestamp();
        }
    }
}
