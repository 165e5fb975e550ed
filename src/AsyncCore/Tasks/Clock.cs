namespace AsyncCore.Tasks;

/// <summary>
/// Deterministic virtual time for tests (Twisted's <c>task.Clock</c>), also usable as a <see cref="TimeProvider"/>: time
/// only moves when <see cref="Advance(TimeSpan)"/> is called, and due calls (delayed calls and timers alike) run
/// synchronously inside it, earliest first. Calls due at the same time run in the order they were scheduled.
/// </summary>
/// <remarks>
/// <para>
/// Unlike a real reactor, a call scheduled during <see cref="Advance(TimeSpan)"/> that is already due (for example with a
/// zero delay) runs within the same <see cref="Advance(TimeSpan)"/>. As in Twisted, the time moves first and the due
/// calls run after: they all see the new <see cref="Now"/>.
/// </para>
/// <para>
/// As a <see cref="TimeProvider"/>, code written for .NET's time abstraction runs on it: <c>Task.Delay(delay, clock)</c>
/// completes, a <c>new CancellationTokenSource(delay, clock)</c> is cancelled (its registrations run) and a
/// <c>PeriodicTimer</c> ticks inside the <see cref="Advance(TimeSpan)"/> that reaches their due time. Continuations that
/// .NET schedules asynchronously (an <c>await</c> resuming on the thread pool) run after that, at the thread pool's pace.
/// <see cref="GetTimestamp"/> counts <see cref="TimeSpan"/> ticks of <see cref="Now"/>; <see cref="GetUtcNow"/> is the
/// start time plus <see cref="Now"/>. Like Twisted's, the clock is not thread-safe: use it from one thread.
/// </para>
/// </remarks>
public sealed class Clock : TimeProvider, IReactorTime
{
    private readonly List<ClockCall> _calls = [];
    private readonly DateTimeOffset _start;

    /// <summary>A clock whose <see cref="Now"/> is zero and whose <see cref="GetUtcNow"/> is the Unix epoch (Twisted's start: <c>seconds()</c> is 0.0).</summary>
    public Clock() : this(DateTimeOffset.UnixEpoch)
    {
    }

    /// <summary>A clock whose <see cref="Now"/> is zero and whose <see cref="GetUtcNow"/> is <paramref name="start"/>.</summary>
    public Clock(DateTimeOffset start) => _start = start.ToUniversalTime();

    /// <summary>The current virtual time: how far the clock was advanced; starts at zero.</summary>
    public TimeSpan Now { get; private set; }

    /// <summary><see cref="Now"/> in seconds, as a double, as Twisted's <c>seconds()</c> (a compatibility helper for ported code).</summary>
    public double Seconds() => Now.TotalSeconds;

    /// <summary>The clock itself.</summary>
    TimeProvider IReactorTime.TimeProvider => this;

    /// <summary>The start time plus <see cref="Now"/>.</summary>
    public override DateTimeOffset GetUtcNow() => _start + Now;

    /// <summary><see cref="Now"/> in <see cref="TimeSpan"/> ticks (see <see cref="TimestampFrequency"/>).</summary>
    public override long GetTimestamp() => Now.Ticks;

    /// <summary><see cref="TimeSpan.TicksPerSecond"/>: a timestamp is <see cref="Now"/>'s ticks.</summary>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>UTC, so that local times do not depend on the machine running the test.</summary>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>
    /// A timer that fires inside <see cref="Advance(TimeSpan)"/> once <paramref name="dueTime"/> has elapsed, then every
    /// <paramref name="period"/> (a zero or infinite period means once). A periodic timer keeps its grid: advancing by
    /// several periods at once fires it once per period, in one <see cref="Advance(TimeSpan)"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A time is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ClockTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <inheritdoc />
    public IDelayedCall CallLater(TimeSpan delay, Action callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return At(Add(Now, delay), callable);
    }

    /// <inheritdoc />
    public IReadOnlyList<IDelayedCall> GetDelayedCalls() => _calls.ToArray();

    /// <summary>
    /// Moves time forward by <paramref name="amount"/> and runs every call that is due, earliest first (Twisted's
    /// <c>advance</c>). <see cref="TimeSpan.Zero"/> runs the calls due now.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is negative.</exception>
    public void Advance(TimeSpan amount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(amount, TimeSpan.Zero);
        Now = Add(Now, amount);
        while (_calls.Count > 0 && _calls[0].DueTime <= Now)
        {
            var call = _calls[0];
            _calls.RemoveAt(0);
            call.Run();
        }
    }

    /// <summary>Advances by each amount in turn (Twisted's <c>pump</c>).</summary>
    public void Pump(IEnumerable<TimeSpan> timings)
    {
        ArgumentNullException.ThrowIfNull(timings);
        foreach (var amount in timings)
        {
            Advance(amount);
        }
    }

    private ClockCall At(TimeSpan due, Action callable)
    {
        // In debug mode (Deferred.Debug, or a debug tracker on this thread such as a test's), remember who scheduled the
        // call: a test that leaves it pending is then told where it came from, as Twisted's DelayedCall.debug does.
        var call = new ClockCall(this, due, callable) { Creator = DebugInfo.Capturing ? new System.Diagnostics.StackTrace(2, true) : null };
        Insert(call);
        return call;
    }

    /// <summary>Adds, saturating at <see cref="TimeSpan.MaxValue"/> (a delay of <see cref="TimeSpan.MaxValue"/> means never).</summary>
    private static TimeSpan Add(TimeSpan time, TimeSpan more) =>
        more > TimeSpan.Zero && time > TimeSpan.MaxValue - more ? TimeSpan.MaxValue : time + more;

    private void Insert(ClockCall call)
    {
        // Stable order: by time, then by when the call was (re)scheduled.
        var index = _calls.FindIndex(c => c.DueTime > call.DueTime);
        _calls.Insert(index < 0 ? _calls.Count : index, call);
    }

    private void Reschedule(ClockCall call)
    {
        _calls.Remove(call);
        Insert(call);
    }

    private sealed class ClockCall(Clock clock, TimeSpan dueTime, Action callable) : IDelayedCall
    {
        public TimeSpan DueTime { get; private set; } = dueTime;

        public System.Diagnostics.StackTrace? Creator { get; init; }

        public bool Called { get; private set; }

        public bool Cancelled { get; private set; }

        public bool Active => !Called && !Cancelled;

        public void Cancel()
        {
            ThrowIfInactive();
            Cancelled = true;
            clock._calls.Remove(this);
        }

        public void Delay(TimeSpan by)
        {
            ThrowIfInactive();
            DueTime = Add(DueTime, by);
            clock.Reschedule(this);
        }

        public void Reset(TimeSpan delay)
        {
            ThrowIfInactive();
            DueTime = Add(clock.Now, delay);
            clock.Reschedule(this);
        }

        public void Run()
        {
            Called = true;
            callable();
        }

        private void ThrowIfInactive()
        {
            if (Cancelled)
            {
                throw new AlreadyCancelledException();
            }
            if (Called)
            {
                throw new AlreadyCalledException("The delayed call has already run.");
            }
        }

        public override string ToString() =>
            $"<DelayedCall at {DueTime}: {(Called ? "called" : Cancelled ? "cancelled" : "pending")}>" +
            (Creator is null ? "" : Environment.NewLine + "Scheduled at:" + Environment.NewLine + Creator);
    }

    /// <summary>A <see cref="TimeProvider"/> timer made of clock calls.</summary>
    private sealed class ClockTimer(Clock clock, TimerCallback callback, object? state) : ITimer
    {
        private ClockCall? _call;
        private TimeSpan _period;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            ThrowIfInvalid(dueTime, nameof(dueTime));
            ThrowIfInvalid(period, nameof(period));
            if (_disposed)
            {
                return false;
            }
            Unschedule();
            // A zero or infinite period means one run, as with Timer.
            _period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                _call = clock.At(Add(clock.Now, dueTime), Fire);
            }
            return true;
        }

        public void Dispose()
        {
            _disposed = true;
            Unschedule();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void Fire()
        {
            var due = _call!.DueTime;
            _call = null;
            // Rescheduled on the grid before the callback runs, so that a Change or Dispose inside the callback replaces it.
            if (_period > TimeSpan.Zero)
            {
                _call = clock.At(Add(due, _period), Fire);
            }
            callback(state);
        }

        private void Unschedule()
        {
            if (_call is { Active: true } call)
            {
                call.Cancel();
            }
            _call = null;
        }

        private static void ThrowIfInvalid(TimeSpan value, string name)
        {
            if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(name, value, "A timer's due time and period must be non-negative or Timeout.InfiniteTimeSpan.");
            }
        }
    }
}
