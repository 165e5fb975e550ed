using System.Collections;
using System.Diagnostics;

namespace AsyncCore.Tasks;

/// <summary>
/// Runs many iterators a step at a time without blocking the reactor (Twisted's <c>task.Cooperator</c>): each tick
/// runs the tasks round-robin, one <c>MoveNext</c> each, until the time slice is used up (10 ms by default), then
/// schedules the next tick. Use it for long jobs such as sending mail to millions of recipients: write the job as an
/// iterator that does one unit of work per step, and yield a Deferred to wait for I/O.
/// </summary>
/// <example>
/// <code>
/// IEnumerable&lt;Deferred?&gt; SendAll(IEnumerable&lt;string&gt; recipients)
/// {
///     foreach (var to in recipients) yield return smtp.Send(to);   // waits for each send, other tasks keep running
/// }
/// var cooperator = new Cooperator(reactor);
/// cooperator.Coiterate(SendAll(list)).AddCallback(_ =&gt; Console.WriteLine("all sent"));
/// </code>
/// </example>
public sealed class Cooperator
{
    private readonly List<CooperativeTask> _tasks = [];
    private readonly Func<Func<bool>> _terminationPredicateFactory;
    private readonly Func<Action, IDelayedCall> _scheduler;
    private IDelayedCall? _delayedCall;
    private int _next;
    private bool _started;
    private bool _stopped;
    private bool _mustScheduleOnStart;

    /// <summary>A cooperator ticking on <paramref name="clock"/> with time slices of <paramref name="timeSlice"/> (default 10 ms).</summary>
    public Cooperator(IReactorTime clock, TimeSpan? timeSlice = null, bool started = true)
        : this(TimeSlice(timeSlice ?? TimeSpan.FromMilliseconds(10)), DefaultScheduler(clock), started)
    {
    }

    /// <summary>
    /// A cooperator with a custom termination predicate (a fresh one per tick; it returns true when the tick should
    /// end) and a custom scheduler (schedules the next tick).
    /// </summary>
    public Cooperator(Func<Func<bool>> terminationPredicateFactory, Func<Action, IDelayedCall> scheduler, bool started = true)
    {
        ArgumentNullException.ThrowIfNull(terminationPredicateFactory);
        ArgumentNullException.ThrowIfNull(scheduler);
        _terminationPredicateFactory = terminationPredicateFactory;
        _scheduler = scheduler;
        _started = started;
    }

    /// <summary>True when started and not stopped.</summary>
    public bool Running => _started && !_stopped;

    /// <summary>Tasks waiting for their next step (paused tasks are not counted).</summary>
    public int TaskCount => _tasks.Count;

    /// <summary>Runs <paramref name="iterator"/> cooperatively; the Deferred fires with it when exhausted.</summary>
    public Deferred<IEnumerator> Coiterate(IEnumerator iterator) => Cooperate(iterator).WhenDone();

    /// <inheritdoc cref="Coiterate(IEnumerator)"/>
    public Deferred<IEnumerator> Coiterate(IEnumerable iterable)
    {
        ArgumentNullException.ThrowIfNull(iterable);
        return Coiterate(iterable.GetEnumerator());
    }

    /// <summary>Runs <paramref name="iterator"/> cooperatively and returns the task, to pause, resume or stop it.</summary>
    public CooperativeTask Cooperate(IEnumerator iterator)
    {
        ArgumentNullException.ThrowIfNull(iterator);
        return new CooperativeTask(iterator, this);
    }

    /// <inheritdoc cref="Cooperate(IEnumerator)"/>
    public CooperativeTask Cooperate(IEnumerable iterable)
    {
        ArgumentNullException.ThrowIfNull(iterable);
        return Cooperate(iterable.GetEnumerator());
    }

    /// <summary>Starts a cooperator created with <c>started: false</c>; tasks queued so far begin running.</summary>
    public void Start()
    {
        _stopped = false;
        _started = true;
        if (_mustScheduleOnStart)
        {
            _mustScheduleOnStart = false;
            Reschedule();
        }
    }

    /// <summary>Stops every task (they fail with <see cref="SchedulerStoppedException"/>); new tasks fail at once.</summary>
    public void Stop()
    {
        _stopped = true;
        foreach (var task in _tasks.ToArray())
        {
            task.CompleteWithSchedulerStopped(new SchedulerStoppedException());
        }
        _tasks.Clear();
        if (_delayedCall is { } call)
        {
            _delayedCall = null;
            call.Cancel();
        }
    }

    internal void AddTask(CooperativeTask task)
    {
        _tasks.Add(task);
        if (_stopped)
        {
            task.CompleteWithSchedulerStopped(new SchedulerStoppedException());
        }
        else
        {
            Reschedule();
        }
    }

    internal void RemoveTask(CooperativeTask task)
    {
        var index = _tasks.IndexOf(task);
        if (index < 0)
        {
            return;
        }
        _tasks.RemoveAt(index);
        if (index < _next)
        {
            _next--;
        }
        if (_tasks.Count == 0 && _delayedCall is { } call)
        {
            _delayedCall = null;
            call.Cancel();
        }
    }

    private void Tick()
    {
        _delayedCall = null;
        var terminate = _terminationPredicateFactory();
        while (_tasks.Count > 0)
        {
            if (_next >= _tasks.Count)
            {
                _next = 0;
            }
            var task = _tasks[_next++];
            task.OneWorkUnit();
            if (terminate())
            {
                break;
            }
        }
        Reschedule();
    }

    private void Reschedule()
    {
        if (!_started)
        {
            _mustScheduleOnStart = true;
            return;
        }
        if (_delayedCall is null && _tasks.Count > 0)
        {
            _delayedCall = _scheduler(Tick);
        }
    }

    private static Func<Func<bool>> TimeSlice(TimeSpan slice) => () =>
    {
        var end = Stopwatch.GetTimestamp() + (long)(slice.TotalSeconds * Stopwatch.Frequency);
        return () => Stopwatch.GetTimestamp() >= end;
    };

    private static Func<Action, IDelayedCall> DefaultScheduler(IReactorTime clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return tick => clock.CallLater(TimeSpan.Zero, tick);
    }
}
