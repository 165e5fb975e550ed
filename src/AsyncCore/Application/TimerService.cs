using AsyncCore.Tasks;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Application;

/// <summary>
/// Calls a function periodically while it runs (Twisted's <c>TimerService</c>): a <see cref="LoopingCall"/> started, with a
/// first call at once, by <see cref="StartService"/> and stopped by <see cref="StopService"/>.
/// </summary>
/// <remarks>
/// A function that throws, or whose Deferred fails, ends the loop; the failure is logged and the service's stop still
/// succeeds. Each start makes a new loop, so a stopped service can be started again.
/// </remarks>
public class TimerService : Service
{
    private static readonly ILogger s_logger = AsyncCoreLogging.CreateLogger("AsyncCore.Application");

    private readonly Func<Deferred?> _function;
    private LoopingCall? _loop;
    private Deferred<object?>? _loopFinished;

    /// <summary>Creates the service.</summary>
    /// <param name="step">The time between calls.</param>
    /// <param name="function">The function; a Deferred it returns delays the next call until it fires.</param>
    /// <param name="clock">The reactor (or a <see cref="Clock"/>) that schedules the calls.</param>
    public TimerService(TimeSpan step, Func<Deferred?> function, IReactorTime clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, TimeSpan.Zero);
        Step = step;
        _function = function ?? throw new ArgumentNullException(nameof(function));
        Clock = clock ?? throw new ArgumentNullException(nameof(clock));
    }

    /// <summary>Creates the service for a function that finishes when it returns.</summary>
    /// <param name="step">The time between calls.</param>
    /// <param name="function">The function.</param>
    /// <param name="clock">The reactor (or a <see cref="Clock"/>) that schedules the calls.</param>
    public TimerService(TimeSpan step, Action function, IReactorTime clock)
        : this(step, Wrap(function), clock)
    {
    }

    /// <summary>The time between calls.</summary>
    public TimeSpan Step { get; }

    /// <summary>What schedules the calls.</summary>
    public IReactorTime Clock { get; }

    /// <summary>The loop of the current run, or null before the first start.</summary>
    public LoopingCall? Loop => _loop;

    /// <summary>Marks the service running, and starts the loop with a first call now.</summary>
    public override void StartService()
    {
        base.StartService();
        // A new loop for each start: the previous one may still be finishing a call.
        var loop = _loop = new LoopingCall(Clock, _function);
        _loopFinished = loop.Start(Step, now: true).AddCallbacks<object?>(_ => (object?)null, failure =>
        {
            s_logger.LogError(failure.Value, "{Service}'s function failed; the timer stopped", this);
            return (object?)null;
        });
    }

    /// <summary>Stops the loop.</summary>
    /// <returns>
    /// A Deferred that fires with null once the call in progress (if any) has finished; the service is
    /// <see cref="IService.Running"/> until then.
    /// </returns>
    public override Deferred<object?> StopService()
    {
        if (_loop is { Running: true } loop)
        {
            loop.Stop();
        }
        var finished = _loopFinished;
        _loopFinished = null;
        if (finished is null)
        {
            _ = base.StopService();
            return Deferred.Succeed<object?>(null);
        }
        return finished.AddFinally(() => base.StopService());
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
}
