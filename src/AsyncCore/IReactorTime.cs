namespace AsyncCore;

/// <summary>
/// The time capability of a reactor: what a <see cref="Deferred{T}"/> timeout, a <c>LoopingCall</c> or a
/// <c>Clock</c>-driven test needs (Twisted's <c>IReactorTime</c>).
/// </summary>
public interface IReactorTime
{
    /// <summary>The current time in seconds, on this clock's own (monotonic) scale.</summary>
    double Seconds();

    /// <summary>Schedules <paramref name="callable"/> to run after <paramref name="delay"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    IDelayedCall CallLater(TimeSpan delay, Action callable);

    /// <summary>The calls scheduled and not yet run or cancelled.</summary>
    IReadOnlyList<IDelayedCall> GetDelayedCalls();
}

/// <summary>A call scheduled with <see cref="IReactorTime.CallLater"/> (Twisted's <c>IDelayedCall</c>).</summary>
public interface IDelayedCall
{
    /// <summary>The time, in the clock's seconds, at which the call is due.</summary>
    double GetTime();

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
