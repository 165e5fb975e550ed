namespace AsyncCore.Reactor;

/// <summary>
/// The core capability of a reactor (Twisted's <c>IReactorCore</c>): running the loop, stopping it, and the startup and
/// shutdown system events with their three phases.
/// </summary>
public interface IReactorCore
{
    /// <summary>True from the "during startup" phase until the loop stops.</summary>
    bool Running { get; }

    /// <summary>Runs the loop on the calling thread until <see cref="Stop"/> completes the shutdown sequence.</summary>
    /// <exception cref="InvalidOperationException">The reactor is already running, or was stopped (not restartable).</exception>
    void Run();

    /// <summary>
    /// Asks the reactor to stop: the shutdown event fires (before, during, after) at the end of the current iteration.
    /// </summary>
    /// <exception cref="ReactorNotRunningException">The reactor is not running, or already stopping.</exception>
    void Stop();

    /// <summary>Runs <paramref name="callable"/> now if the reactor is running, otherwise once it has started.</summary>
    void CallWhenRunning(Action callable);

    /// <summary>
    /// Adds a trigger run once when <paramref name="eventType"/> (<c>"startup"</c>, <c>"shutdown"</c> or a custom event)
    /// fires, in <paramref name="phase"/>.
    /// </summary>
    SystemEventTrigger AddSystemEventTrigger(SystemEventPhase phase, string eventType, Action callable);

    /// <summary>
    /// Adds a trigger that may return a Deferred: in the <see cref="SystemEventPhase.Before"/> phase, the "during" phase
    /// waits until every such Deferred has fired. This is how a connection pool closes cleanly before shutdown.
    /// </summary>
    SystemEventTrigger AddSystemEventTrigger(SystemEventPhase phase, string eventType, Func<Deferred?> callable);

    /// <summary>Removes a trigger that has not run yet.</summary>
    /// <exception cref="ArgumentException">Unknown or already removed trigger.</exception>
    void RemoveSystemEventTrigger(SystemEventTrigger trigger);

    /// <summary>Fires a system event: its before, during and after triggers.</summary>
    void FireSystemEvent(string eventType);
}

/// <summary>The phases of a system event.</summary>
public enum SystemEventPhase
{
    /// <summary>First; triggers may return Deferreds that delay the next phase.</summary>
    Before,

    /// <summary>The event itself.</summary>
    During,

    /// <summary>Last.</summary>
    After,
}

/// <summary>The handle of a system event trigger, for <see cref="IReactorCore.RemoveSystemEventTrigger"/>.</summary>
public sealed class SystemEventTrigger
{
    /// <summary>Creates a handle for a trigger of <paramref name="eventType"/> in <paramref name="phase"/>.</summary>
    public SystemEventTrigger(SystemEventPhase phase, string eventType)
    {
        Phase = phase;
        EventType = eventType ?? throw new ArgumentNullException(nameof(eventType));
    }

    /// <summary>The phase the trigger runs in.</summary>
    public SystemEventPhase Phase { get; }

    /// <summary>The event the trigger belongs to.</summary>
    public string EventType { get; }
}

/// <summary>The standard system event names.</summary>
public static class SystemEvents
{
    /// <summary>Fired when the reactor starts.</summary>
    public const string Startup = "startup";

    /// <summary>Fired when the reactor stops.</summary>
    public const string Shutdown = "shutdown";
}

/// <summary><see cref="IReactorCore.Stop"/> was called on a reactor that is not running.</summary>
public sealed class ReactorNotRunningException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ReactorNotRunningException() : base("Can't stop a reactor that isn't running.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ReactorNotRunningException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ReactorNotRunningException(string message, Exception innerException) : base(message, innerException) { }
}
