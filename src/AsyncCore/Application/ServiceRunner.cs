using AsyncCore.Reactor;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Application;

/// <summary>
/// Runs a service tree with a reactor (what twistd does with an application): the tree starts as a "before startup"
/// trigger and stops as a "before shutdown" trigger, so <see cref="IReactorCore.Stop"/> stops the tree and the reactor
/// waits for its Deferreds before it ends. Made by <see cref="ServiceExtensions.AttachTo"/>.
/// </summary>
/// <remarks>
/// <para>The start is twistd's sequence: for an <see cref="ApplicationService"/> root, the umask; then
/// <see cref="IService.PrivilegedStartService"/>; then, for an <see cref="ApplicationService"/>, the switch of user and
/// group; then <see cref="IService.StartService"/>. Attached to a reactor that is already running, the tree starts at
/// once.</para>
/// <para>If the start throws, the failure is logged and kept in <see cref="StartFailure"/>, <see cref="WhenStarted"/>
/// fails, and the reactor is stopped (which stops the part of the tree that started): a program exits non-zero when
/// <see cref="StartFailure"/> is set after <c>Run</c> returns.</para>
/// </remarks>
public sealed class ServiceRunner
{
    private static readonly ILogger s_logger = AsyncCoreLogging.CreateLogger("AsyncCore.Application");

    private readonly SystemEventTrigger? _startTrigger;
    private readonly SystemEventTrigger _stopTrigger;
    private readonly OneShot _started = new();
    private readonly OneShot _stopped = new();
    private bool _detached;

    /// <summary>Attaches <paramref name="service"/> to <paramref name="reactor"/>; see the class remarks.</summary>
    /// <param name="service">The root of the tree.</param>
    /// <param name="reactor">The reactor whose startup and shutdown start and stop the tree.</param>
    /// <param name="stopReactorOnStartFailure">Whether a failed start stops the reactor (the default, as twistd exits).</param>
    public ServiceRunner(IService service, IReactorCore reactor, bool stopReactorOnStartFailure = true)
    {
        Service = service ?? throw new ArgumentNullException(nameof(service));
        Reactor = reactor ?? throw new ArgumentNullException(nameof(reactor));
        StopReactorOnStartFailure = stopReactorOnStartFailure;
        _stopTrigger = reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, Stop);
        if (reactor.Running)
        {
            Start();
        }
        else
        {
            _startTrigger = reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Startup, Start);
        }
    }

    /// <summary>The root of the tree.</summary>
    public IService Service { get; }

    /// <summary>The reactor.</summary>
    public IReactorCore Reactor { get; }

    /// <summary>Whether a failed start stops the reactor.</summary>
    public bool StopReactorOnStartFailure { get; }

    /// <summary>Why the tree failed to start, or null.</summary>
    public Failure? StartFailure { get; private set; }

    /// <summary>Why the tree failed to stop (a <see cref="ServiceStopException"/> from a <see cref="MultiService"/>, say), or null.</summary>
    public Failure? StopFailure { get; private set; }

    /// <summary>Fires with null once the tree has started, or fails with the start's failure.</summary>
    public Deferred<object?> WhenStarted() => _started.Wait();

    /// <summary>Fires with null once the tree has finished stopping, or fails with the stop's failure.</summary>
    public Deferred<object?> WhenStopped() => _stopped.Wait();

    /// <summary>Removes the triggers that have not run yet: the reactor no longer starts or stops the tree.</summary>
    public void Detach()
    {
        if (_detached)
        {
            return;
        }
        _detached = true;
        foreach (var trigger in new[] { _startTrigger, _stopTrigger })
        {
            if (trigger is null)
            {
                continue;
            }
            try
            {
                Reactor.RemoveSystemEventTrigger(trigger);
            }
            catch (ArgumentException)
            {
                // It already ran.
            }
        }
    }

    private void Start()
    {
        try
        {
            var application = Service as ApplicationService;
            application?.ApplyUmask();
            Service.PrivilegedStartService();
            application?.ShedPrivileges();
            Service.StartService();
        }
        catch (Exception e)
        {
            StartFailure = new Failure(e);
            s_logger.LogCritical(e, "{Service} failed to start", Service.ToString());
            _started.Fire(StartFailure);
            if (StopReactorOnStartFailure)
            {
                Reactor.CallWhenRunning(StopReactor);
            }
            return;
        }
        _started.Fire(null);
    }

    private void StopReactor()
    {
        try
        {
            Reactor.Stop();
        }
        catch (ReactorNotRunningException)
        {
            // Already stopping.
        }
    }

    private Deferred<object?> Stop()
    {
        Deferred? stopping;
        try
        {
            stopping = Service.StopService();
        }
        catch (Exception e)
        {
            stopping = Deferred.Fail<object?>(e);
        }
        var done = new Deferred<object?>();
        // Observed through a list so any Deferred type will do; the failure is logged here, not by the reactor.
        _ = DeferredList.Create([stopping ?? Deferred.Succeed<object?>(null)], consumeErrors: true).AddCallback(results =>
        {
            if (results[0].Failure is { } failure)
            {
                StopFailure = failure;
                s_logger.LogError(failure.Value, "{Service} failed to stop", Service.ToString());
                _stopped.Fire(failure);
            }
            else
            {
                _stopped.Fire(null);
            }
            done.Callback(null);
        });
        return done;
    }
}
