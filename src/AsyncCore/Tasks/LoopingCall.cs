namespace AsyncCore.Tasks;

/// <summary>
/// Calls a function repeatedly, every <c>interval</c> on an <see cref="IReactorTime"/> (Twisted's
/// <c>task.LoopingCall</c>). Runs stay on the interval grid anchored at the start time: a run that overruns skips the
/// grid points it missed instead of making them up (see <see cref="WithCount(IReactorTime, Action{int})"/> to learn
/// how many were skipped). A function returning a Deferred delays the next run until that Deferred fires, so runs never
/// overlap. An exception (or a failed Deferred) stops the loop and fails the Deferred <see cref="Start"/> returned.
/// </summary>
/// <example>
/// <code>
/// var heartbeat = new LoopingCall(reactor, () =&gt; Console.WriteLine("tick"));
/// heartbeat.Start(TimeSpan.FromSeconds(1)).AddErrback(f =&gt; log.LogError(f.Value, "heartbeat died"));
/// ...
/// heartbeat.Stop();   // the Start Deferred fires with the LoopingCall
/// </code>
/// </example>
public sealed class LoopingCall
{
    private readonly Func<Deferred?> _function;
    private IDelayedCall? _call;
    private Deferred<LoopingCall>? _deferred;
    private TimeSpan _startTime;
    private TimeSpan? _realLastTime;
    private bool _runAtStart;

    /// <summary>A loop calling <paramref name="function"/>.</summary>
    public LoopingCall(IReactorTime clock, Action function)
        : this(clock, Wrap(function))
    {
    }

    /// <summary>A loop calling <paramref name="function"/>; when it returns a Deferred, the next run waits for it.</summary>
    public LoopingCall(IReactorTime clock, Func<Deferred?> function)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(function);
        Clock = clock;
        _function = function;
    }

    /// <summary>A loop calling an async <paramref name="function"/>; the next run waits for its task.</summary>
    public LoopingCall(IReactorTime clock, Func<Task> function)
        : this(clock, WrapTask(function))
    {
    }

    /// <summary>The clock the loop schedules on.</summary>
    public IReactorTime Clock { get; }

    /// <summary>True from <see cref="Start"/> until <see cref="Stop"/> or a failure.</summary>
    public bool Running { get; private set; }

    /// <summary>The interval given to <see cref="Start"/>, or null before it.</summary>
    public TimeSpan? Interval { get; private set; }

    /// <summary>
    /// A loop whose function receives how many intervals elapsed since its previous run: 1 normally, more when runs
    /// were skipped because the function or the reactor overran (always 1 with a zero interval).
    /// </summary>
    public static LoopingCall WithCount(IReactorTime clock, Action<int> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return WithCount(clock, count =>
        {
            function(count);
            return null;
        });
    }

    /// <inheritdoc cref="WithCount(IReactorTime, Action{int})"/>
    public static LoopingCall WithCount(IReactorTime clock, Func<int, Deferred?> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        LoopingCall? self = null;
        self = new LoopingCall(clock, () => self!.CountAndCall(function));
        return self;
    }

    private Deferred? CountAndCall(Func<int, Deferred?> function)
    {
        var now = Clock.Now;
        var interval = Interval!.Value;
        if (interval == TimeSpan.Zero)
        {
            _realLastTime = now;
            return function(1);
        }
        var lastTime = _realLastTime ?? (_runAtStart ? _startTime - interval : _startTime);
        var count = IntervalOf(now) - IntervalOf(lastTime);
        if (count > 0)
        {
            _realLastTime = now;
            return function((int)count);
        }
        return null;
    }

    private long IntervalOf(TimeSpan time) => (time - _startTime).Ticks / Interval!.Value.Ticks;

    /// <summary>
    /// Starts the loop. With <paramref name="now"/> true the function runs at once, inside this call; otherwise the
    /// first run is one interval from now.
    /// </summary>
    /// <returns>
    /// A Deferred that fires with this loop when it is stopped, or fails with the function's failure. Cancelling it
    /// stops the loop (the Deferred then fails with <see cref="CancelledException"/>).
    /// </returns>
    /// <exception cref="InvalidOperationException">The loop is already running.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is negative.</exception>
    public Deferred<LoopingCall> Start(TimeSpan interval, bool now = true)
    {
        if (Running)
        {
            throw new InvalidOperationException("The LoopingCall is already running.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero);
        Running = true;
        var deferred = _deferred = new Deferred<LoopingCall>(OnCancelled);
        _startTime = Clock.Now;
        _realLastTime = null;
        Interval = interval;
        _runAtStart = now;
        if (now)
        {
            RunOnce();
        }
        else
        {
            ScheduleFrom(_startTime);
        }
        return deferred;
    }

    /// <summary>
    /// Stops the loop. If a run is scheduled it is cancelled and the Start Deferred fires now; if the function (or its
    /// Deferred) is still running, the Start Deferred fires when it finishes.
    /// </summary>
    /// <exception cref="InvalidOperationException">The loop is not running.</exception>
    public void Stop()
    {
        if (!Running)
        {
            throw new InvalidOperationException("The LoopingCall is not running.");
        }
        Running = false;
        if (_call is { } call)
        {
            _call = null;
            call.Cancel();
            FireStopped();
        }
    }

    /// <summary>Re-anchors the grid at now: the next run is one interval from now.</summary>
    /// <exception cref="InvalidOperationException">The loop is not running.</exception>
    public void Reset()
    {
        if (!Running)
        {
            throw new InvalidOperationException("The LoopingCall is not running.");
        }
        if (_call is { } call)
        {
            _call = null;
            call.Cancel();
            _startTime = Clock.Now;
            ScheduleFrom(_startTime);
        }
    }

    private void RunOnce()
    {
        _call = null;
        Deferred? result;
        try
        {
            result = _function();
        }
        catch (Exception ex)
        {
            Failed(new Failure(ex));
            return;
        }
        if (result is null)
        {
            Succeeded();
        }
        else
        {
            result.AddStage(new ResultStage(this));
        }
    }

    private void Succeeded()
    {
        if (Running)
        {
            ScheduleFrom(Clock.Now);
        }
        else
        {
            FireStopped();
        }
    }

    private void Failed(Failure failure)
    {
        Running = false;
        var deferred = _deferred;
        _deferred = null;
        if (deferred is { Called: false })
        {
            deferred.Errback(failure);
        }
    }

    private void FireStopped()
    {
        var deferred = _deferred;
        _deferred = null;
        if (deferred is { Called: false })
        {
            deferred.Callback(this);
        }
    }

    private void OnCancelled(Deferred<LoopingCall> deferred)
    {
        if (!ReferenceEquals(deferred, _deferred))
        {
            return;
        }
        _deferred = null;
        Running = false;
        if (_call is { } call)
        {
            _call = null;
            call.Cancel();
        }
    }

    private void ScheduleFrom(TimeSpan when)
    {
        var interval = Interval!.Value;
        // The first grid point strictly after now (whole ticks: no rounding can make it "now", as Twisted guards against).
        var delay = interval == TimeSpan.Zero
            ? TimeSpan.Zero
            : interval - TimeSpan.FromTicks((when - _startTime).Ticks % interval.Ticks);
        _call = Clock.CallLater(delay, RunOnce);
    }

    private static Func<Deferred?> Wrap(Action function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return () =>
        {
            function();
            return null;
        };
    }

    private static Func<Deferred?> WrapTask(Func<Task> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return () => Deferred.FromTask(AsValueTask(function()));

        static async Task<bool> AsValueTask(Task task)
        {
            await task;
            return true;
        }
    }

    /// <summary>Continues the loop when the function's Deferred fires; consumes its result.</summary>
    private sealed class ResultStage(LoopingCall owner) : Stage
    {
        public override object? Invoke(object? result)
        {
            if (result is Failure failure)
            {
                owner.Failed(failure);
            }
            else
            {
                owner.Succeeded();
            }
            return null;
        }
    }
}
