namespace AsyncCore.Tasks;

/// <summary>
/// Deterministic virtual time for tests (Twisted's <c>task.Clock</c>): time only moves when <see cref="Advance(TimeSpan)"/> is
/// called, and due calls run synchronously inside it. Calls due at the same time run in the order they were scheduled.
/// </summary>
/// <remarks>
/// Unlike a real reactor, a call scheduled during <see cref="Advance(TimeSpan)"/> that is already due (for example with a zero
/// delay) runs within the same <see cref="Advance(TimeSpan)"/>.
/// </remarks>
public sealed class Clock : IReactorTime
{
    private readonly List<ClockCall> _calls = [];
    private long _sequence;

    /// <summary>The current virtual time, in seconds; starts at 0.</summary>
    public double Now { get; private set; }

    /// <inheritdoc />
    public double Seconds() => Now;

    /// <inheritdoc />
    public IDelayedCall CallLater(TimeSpan delay, Action callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        var call = new ClockCall(this, Now + delay.TotalSeconds, callable);
        Insert(call);
        return call;
    }

    /// <summary>Schedules <paramref name="callable"/> after <paramref name="seconds"/> seconds.</summary>
    public IDelayedCall CallLater(double seconds, Action callable) => CallLater(TimeSpan.FromSeconds(seconds), callable);

    /// <inheritdoc />
    public IReadOnlyList<IDelayedCall> GetDelayedCalls() => _calls.ToArray();

    /// <summary>Moves time forward by <paramref name="amount"/> and runs every call that is due, earliest first.</summary>
    public void Advance(TimeSpan amount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(amount, TimeSpan.Zero);
        Now += amount.TotalSeconds;
        while (_calls.Count > 0 && _calls[0].Time <= Now)
        {
            var call = _calls[0];
            _calls.RemoveAt(0);
            call.Run();
        }
    }

    /// <summary>Moves time forward by <paramref name="seconds"/> seconds; see <see cref="Advance(TimeSpan)"/>.</summary>
    public void Advance(double seconds) => Advance(TimeSpan.FromSeconds(seconds));

    /// <summary>Advances by each amount in turn (Twisted's <c>pump</c>).</summary>
    public void Pump(IEnumerable<double> timings)
    {
        ArgumentNullException.ThrowIfNull(timings);
        foreach (var amount in timings)
        {
            Advance(amount);
        }
    }

    private void Insert(ClockCall call)
    {
        call.Sequence = _sequence++;
        // Stable order: by time, then by when the call was (re)scheduled.
        var index = _calls.FindIndex(c => c.Time > call.Time);
        _calls.Insert(index < 0 ? _calls.Count : index, call);
    }

    private void Reschedule(ClockCall call)
    {
        _calls.Remove(call);
        Insert(call);
    }

    private sealed class ClockCall(Clock clock, double time, Action callable) : IDelayedCall
    {
        public double Time = time;
        public long Sequence;

        public bool Called { get; private set; }

        public bool Cancelled { get; private set; }

        public bool Active => !Called && !Cancelled;

        public double GetTime() => Time;

        public void Cancel()
        {
            ThrowIfInactive();
            Cancelled = true;
            clock._calls.Remove(this);
        }

        public void Delay(TimeSpan by)
        {
            ThrowIfInactive();
            Time += by.TotalSeconds;
            clock.Reschedule(this);
        }

        public void Reset(TimeSpan delay)
        {
            ThrowIfInactive();
            Time = clock.Now + delay.TotalSeconds;
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

        public override string ToString() => $"<DelayedCall at {Time}: {(Called ? "called" : Cancelled ? "cancelled" : "pending")}>";
    }
}
