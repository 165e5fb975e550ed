using AsyncCore.Tasks;

namespace AsyncCore.Testing;

/// <summary>
/// A <see cref="MemoryReactor"/> whose time the test moves with <see cref="Advance"/> (Twisted's
/// <c>MemoryReactorClock</c>): the reactor for testing a client or server that uses timeouts, retries or periodic work.
/// </summary>
public sealed class MemoryReactorClock : MemoryReactor
{
    /// <summary>Creates the reactor on <paramref name="clock"/> (a new <see cref="Tasks.Clock"/> when null).</summary>
    public MemoryReactorClock(Clock? clock = null) : base(clock)
    {
    }

    /// <summary>
    /// Runs the calls queued by <c>CallFromThread</c>, then moves time forward by <paramref name="amount"/>, running
    /// every delayed call that is due (<see cref="Clock.Advance"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is negative.</exception>
    public void Advance(TimeSpan amount)
    {
        RunThreadCalls();
        Clock.Advance(amount);
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
}
