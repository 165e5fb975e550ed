using Microsoft.Extensions.Logging;

namespace AsyncCore.Reactor;

/// <summary>
/// The triggers of one system event (Twisted's <c>_ThreePhaseEvent</c>): "before" triggers run first and may return
/// Deferreds; "during" and "after" triggers run once all of those have fired. Each trigger runs once per firing and is
/// removed; an exception in one is logged and the others still run.
/// </summary>
internal sealed class ThreePhaseEvent(string eventType, ILogger logger)
{
    private readonly List<Entry> _before = [];
    private readonly List<Entry> _during = [];
    private readonly List<Entry> _after = [];
    private readonly List<SystemEventTrigger> _finishedBefore = [];
    private bool _firingBefore;

    public bool IsEmpty => _before.Count == 0 && _during.Count == 0 && _after.Count == 0;

    public SystemEventTrigger Add(SystemEventPhase phase, Action? action, Func<Deferred?>? function)
    {
        var trigger = new SystemEventTrigger(phase, eventType);
        PhaseList(phase).Add(new Entry(trigger, action, function));
        return trigger;
    }

    public void Remove(SystemEventTrigger trigger)
    {
        if (_firingBefore && trigger.Phase == SystemEventPhase.Before && _finishedBefore.Contains(trigger))
        {
            // Twisted only warns here: the trigger already ran in the phase now in progress.
            logger.LogWarning("Removing already-fired system event trigger {Trigger} for {Event}", trigger.Phase, eventType);
            return;
        }
        var list = PhaseList(trigger.Phase);
        var index = list.FindIndex(e => ReferenceEquals(e.Trigger, trigger));
        if (index < 0)
        {
            throw new ArgumentException("Unknown or already removed system event trigger.", nameof(trigger));
        }
        list.RemoveAt(index);
    }

    /// <summary>Runs the before phase, then (at once or when the before Deferreds have fired) during and after.</summary>
    public void Fire(Action<Delegate, Action> invoke)
    {
        _firingBefore = true;
        var pending = 1;
        var continued = false;
        void Arrived()
        {
            if (--pending == 0 && !continued)
            {
                continued = true;
                ContinueFiring(invoke);
            }
        }

        while (_before.Count > 0)
        {
            var entry = _before[0];
            _before.RemoveAt(0);
            _finishedBefore.Add(entry.Trigger);
            Deferred? result = null;
            invoke(entry.Callable, () =>
            {
                if (entry.Action is { } action)
                {
                    action();
                }
                else
                {
                    result = entry.Function!();
                }
            });
            if (result is not null)
            {
                pending++;
                result.AddStage(new ArrivalStage(this, Arrived));
            }
        }
        Arrived();
    }

    private void ContinueFiring(Action<Delegate, Action> invoke)
    {
        _firingBefore = false;
        _finishedBefore.Clear();
        foreach (var list in (List<Entry>[])[_during, _after])
        {
            while (list.Count > 0)
            {
                var entry = list[0];
                list.RemoveAt(0);
                invoke(entry.Callable, () =>
                {
                    if (entry.Action is { } action)
                    {
                        action();
                    }
                    else
                    {
                        _ = entry.Function!();
                    }
                });
            }
        }
    }

    private List<Entry> PhaseList(SystemEventPhase phase) => phase switch
    {
        SystemEventPhase.Before => _before,
        SystemEventPhase.During => _during,
        SystemEventPhase.After => _after,
        _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, "Unknown system event phase."),
    };

    private readonly record struct Entry(SystemEventTrigger Trigger, Action? Action, Func<Deferred?>? Function)
    {
        public Delegate Callable => (Delegate?)Action ?? Function!;
    }

    /// <summary>Counts a before-trigger's Deferred as fired; a failure is logged and consumed so shutdown goes on.</summary>
    private sealed class ArrivalStage(ThreePhaseEvent owner, Action arrived) : Stage
    {
        public override object? Invoke(object? result)
        {
            if (result is Failure failure)
            {
                owner.LogBeforeFailure(failure);
                result = null;
            }
            arrived();
            return result;
        }
    }

    private void LogBeforeFailure(Failure failure) =>
        logger.LogError(failure.Value, "A before-{Event} trigger's Deferred failed", eventType);
}
