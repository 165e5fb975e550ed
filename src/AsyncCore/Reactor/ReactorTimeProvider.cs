namespace AsyncCore.Reactor;

/// <summary>
/// A reactor seen as a <see cref="TimeProvider"/> (<see cref="ReactorBase.TimeProvider"/>): time is read from the reactor's
/// time source, and timers are the reactor's delayed calls, so their callbacks run on the reactor thread.
/// </summary>
internal sealed class ReactorTimeProvider(ReactorBase reactor, TimeProvider source) : TimeProvider
{
    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => source.GetUtcNow();

    /// <inheritdoc />
    public override long GetTimestamp() => source.GetTimestamp();

    /// <inheritdoc />
    public override long TimestampFrequency => source.TimestampFrequency;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => source.LocalTimeZone;

    /// <summary>A timer whose callback runs on the reactor thread; callable from any thread.</summary>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return new ReactorTimer(reactor, callback, state, dueTime, period);
    }
}
