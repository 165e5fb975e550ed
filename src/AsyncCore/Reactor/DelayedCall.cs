using System.Globalization;

namespace AsyncCore.Reactor;

/// <summary>
/// A call scheduled on a reactor with <see cref="ReactorBase.CallLater(TimeSpan, Action)"/> (Twisted's
/// <c>DelayedCall</c>). Use it from the reactor thread only.
/// </summary>
internal sealed class DelayedCall : IDelayedCall
{
    private readonly ReactorBase _reactor;
    private Action? _callable;

    internal DelayedCall(ReactorBase reactor, long dueTicks, Action callable)
    {
        _reactor = reactor;
        DueTicks = dueTicks;
        _callable = callable;
    }

    /// <summary>The due time in <see cref="TimeSpan"/> ticks on the reactor's <see cref="ReactorBase.Now"/> scale (the heap's key).</summary>
    internal long DueTicks;
    internal long Sequence;

    /// <summary>In debug mode, the stack that scheduled the call (shown by <see cref="ToString"/>).</summary>
    internal System.Diagnostics.StackTrace? Creator;
    internal int HeapIndex = -1;

    /// <inheritdoc />
    public bool Called { get; private set; }

    /// <inheritdoc />
    public bool Cancelled { get; private set; }

    /// <inheritdoc />
    public bool Active => !Called && !Cancelled;

    /// <summary>The scheduled function, for diagnostics (null once the call ran or was cancelled).</summary>
    public Delegate? Callable => _callable;

    /// <inheritdoc />
    public TimeSpan DueTime => new(DueTicks);

    /// <inheritdoc />
    public void Cancel()
    {
        ThrowIfInactive();
        Cancelled = true;
        _callable = null;
        _reactor.RemoveTimer(this);
    }

    /// <inheritdoc />
    public void Delay(TimeSpan by)
    {
        ThrowIfInactive();
        DueTicks = ReactorBase.AddTicks(DueTicks, by.Ticks);
        _reactor.UpdateTimer(this, newSequence: false);
    }

    /// <inheritdoc />
    public void Reset(TimeSpan delay)
    {
        ThrowIfInactive();
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        DueTicks = ReactorBase.AddTicks(_reactor.NowTicks, delay.Ticks);
        // A reset call counts as newly scheduled: it runs after calls already due at the same time, and never in the
        // pass that reset it.
        _reactor.UpdateTimer(this, newSequence: true);
    }

    /// <summary>Marks the call as called (before running it, as Twisted does) and hands out the function.</summary>
    internal Action TakeForRun()
    {
        Called = true;
        var callable = _callable!;
        _callable = null;
        return callable;
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

    /// <inheritdoc />
    public override string ToString()
    {
        var state = Called ? "called" : Cancelled ? "cancelled" : "pending";
        var name = _callable is null ? "" : " " + CallableName.Of(_callable);
        var text = string.Create(CultureInfo.InvariantCulture, $"<DelayedCall at {DueTime.TotalSeconds:0.000}s {state}{name}>");
        return Creator is null ? text : text + Environment.NewLine + "Scheduled at:" + Environment.NewLine + Creator;
    }
}
