namespace AsyncCore.Reactor;

/// <summary>
/// An <see cref="ITimer"/> made of reactor delayed calls (created by <see cref="ReactorTimeProvider"/>). Its callback runs
/// on the reactor thread, one run at a time; a periodic timer's next run is one period after the run starts (as
/// <see cref="Timer"/> does), with no catching up after a late run.
/// </summary>
/// <remarks>
/// <see cref="Change"/> and <see cref="Dispose"/> may be called from any thread: the timer's settings are kept under a
/// lock with a version number, and the reactor thread applies the latest settings to the timer heap (at once when called
/// on the reactor thread, otherwise through <see cref="ReactorBase.CallFromThread(Action{object?}, object?)"/>). A run
/// whose settings were replaced meanwhile is skipped, so once <see cref="Dispose"/> or <see cref="Change"/> has
/// returned, the old schedule never runs the callback (unless that run had already started). The caller's
/// <see cref="ExecutionContext"/> flows to the callback, as with <see cref="Timer"/>.
/// </remarks>
internal sealed class ReactorTimer : ITimer
{
    private const long Never = long.MaxValue;

    private static readonly Action<object?> s_apply = static state => ((ReactorTimer)state!).Apply();
    private static readonly ContextCallback s_invoke = static state => ((ReactorTimer)state!).Invoke();

    private readonly ReactorBase _reactor;
    private readonly TimerCallback _callback;
    private readonly object? _state;
    private readonly ExecutionContext? _context;
    private readonly Action _fire;
    private readonly Lock _lock = new();

    // Guarded by _lock.
    private long _dueTicks = Never;
    private long _periodTicks;
    private int _version;
    private bool _disposed;

    // Reactor thread only.
    private int _appliedVersion;
    private DelayedCall? _call;

    public ReactorTimer(ReactorBase reactor, TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _reactor = reactor;
        _callback = callback;
        _state = state;
        _context = ExecutionContext.Capture();
        _fire = Fire;
        Change(dueTime, period);
    }

    /// <inheritdoc />
    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        ThrowIfInvalid(dueTime, nameof(dueTime));
        ThrowIfInvalid(period, nameof(period));
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }
            // The due time is fixed now, on the calling thread: a hand-over to the reactor thread does not delay it.
            _dueTicks = dueTime == Timeout.InfiniteTimeSpan ? Never : ReactorBase.AddTicks(_reactor.NowTicks, dueTime.Ticks);
            // A zero or infinite period means one run, as with Timer.
            _periodTicks = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
            _version++;
        }
        ApplyOnReactor();
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _version++;
        }
        ApplyOnReactor();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static void ThrowIfInvalid(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, value, "A timer's due time and period must be non-negative or Timeout.InfiniteTimeSpan.");
        }
    }

    private void ApplyOnReactor()
    {
        if (_reactor.IsReactorThread)
        {
            Apply();
        }
        else
        {
            _reactor.CallFromThread(s_apply, this);
        }
    }

    /// <summary>On the reactor thread: replaces the scheduled call with one matching the latest settings.</summary>
    private void Apply()
    {
        long due;
        lock (_lock)
        {
            due = _disposed ? Never : _dueTicks;
            _appliedVersion = _version;
        }
        if (_call is { Active: true } call)
        {
            call.Cancel();
        }
        _call = due == Never ? null : _reactor.CallAt(due, _fire);
    }

    private void Fire()
    {
        _call = null;
        long next;
        lock (_lock)
        {
            if (_disposed || _version != _appliedVersion)
            {
                // Changed or disposed on another thread: the hand-over on its way decides what happens next.
                return;
            }
            next = _periodTicks > 0 ? ReactorBase.AddTicks(_reactor.NowTicks, _periodTicks) : Never;
            _dueTicks = next;
        }
        // Scheduled before the callback runs, so that a Change or Dispose inside the callback replaces it.
        if (next != Never)
        {
            _call = _reactor.CallAt(next, _fire);
        }
        if (_context is null)
        {
            Invoke();
        }
        else
        {
            ExecutionContext.Run(_context, s_invoke, this);
        }
    }

    private void Invoke() => _callback(_state);
}
