namespace AsyncCore;

/// <summary>
/// The time capability of a reactor: what a <see cref="Deferred{T}"/> timeout, a <c>LoopingCall</c> or a
/// <c>Clock</c>-driven test needs (Twisted's <c>IReactorTime</c>).
/// </summary>
/// <remarks>
/// Time is read as <see cref="Now"/>, a <see cref="TimeSpan"/> on the clock's own monotonic scale (an offset from an
/// arbitrary origin, not wall-clock time), and delays are <see cref="TimeSpan"/>s. <see cref="TimeProvider"/> is the same
/// clock for code written against .NET's <see cref="System.TimeProvider"/> (<c>Task.Delay</c>, <c>PeriodicTimer</c>,
/// <c>CancellationTokenSource</c>): its timers are this clock's delayed calls.
/// </remarks>
public interface IReactorTime
{
    /// <summary>
    /// The current time on this clock's monotonic scale: an offset from an arbitrary origin (for a reactor, shared by every
    /// reactor of the process that uses <see cref="System.TimeProvider.System"/>; for a test <c>Clock</c>, its start), never
    /// going backwards. Compare it with <see cref="IDelayedCall.DueTime"/>.
    /// </summary>
    TimeSpan Now { get; }

    /// <summary>
    /// The same clock as a <see cref="System.TimeProvider"/>: its timestamps and wall-clock time come from the clock's time
    /// source, and the timers it creates are this clock's delayed calls (on a reactor, their callbacks run on the reactor
    /// thread).
    /// </summary>
    TimeProvider TimeProvider { get; }

    /// <summary>
    /// <see cref="Now"/> in seconds, as a double, as Twisted's <c>seconds()</c>: a compatibility helper for code ported
    /// from Twisted. New code uses <see cref="Now"/>.
    /// </summary>
    double Seconds() => Now.TotalSeconds;

    /// <summary>Schedules <paramref name="callable"/> to run after <paramref name="delay"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    IDelayedCall CallLater(TimeSpan delay, Action callable);

    /// <summary>The calls scheduled and not yet run or cancelled.</summary>
    IReadOnlyList<IDelayedCall> GetDelayedCalls();
}

/// <summary>A call scheduled with <see cref="IReactorTime.CallLater"/> (Twisted's <c>IDelayedCall</c>).</summary>
public interface IDelayedCall
{
    /// <summary>
    /// When the call is due, on its clock's <see cref="IReactorTime.Now"/> scale (Twisted's <c>getTime()</c>, which gives
    /// the same thing in seconds).
    /// </summary>
    TimeSpan DueTime { get; }

    /// <summary>Unschedules the call.</summary>
    /// <exception cref="AlreadyCalledException">The call already ran.</exception>
    /// <exception cref="AlreadyCancelledException">The call was already cancelled.</exception>
    void Cancel();

    /// <summary>Moves the due time later by <paramref name="by"/>.</summary>
    void Delay(TimeSpan by);

    /// <summary>Reschedules the call to run <paramref name="delay"/> from now.</summary>
    void Reset(TimeSpan delay);

    /// <summary>True while the call is neither run nor cancelled.</summary>
    bool Active { get; }

    /// <summary>True once the call has started running.</summary>
    bool Called { get; }

    /// <summary>True once the call was cancelled.</summary>
    bool Cancelled { get; }
}

/// <summary>The delayed call was already cancelled.</summary>
public sealed class AlreadyCancelledException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public AlreadyCancelledException() : base("The delayed call was already cancelled.") { }

    /// <summary>Creates the exception with a message.</summary>
    public AlreadyCancelledException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public AlreadyCancelledException(string message, Exception innerException) : base(message, innerException) { }
}
