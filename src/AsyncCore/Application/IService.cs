namespace AsyncCore.Application;

/// <summary>
/// A service (Twisted's <c>IService</c>): something started when its application starts and stopped when it stops, placed
/// in a tree of services whose root a runner (the <c>asynccore</c> tool, the Generic Host or
/// <see cref="ServiceRunner"/>) starts and stops with a reactor.
/// </summary>
/// <remarks>
/// Services are used on the reactor thread. Derive from <see cref="Service"/> rather than implementing this interface: it
/// keeps the parent/child bookkeeping consistent.
/// </remarks>
public interface IService
{
    /// <summary>The name, unique among the service's siblings, or null. It cannot change while the service has a parent.</summary>
    /// <exception cref="InvalidOperationException">Set while the service has a parent.</exception>
    string? Name { get; set; }

    /// <summary>True between <see cref="StartService"/> and <see cref="StopService"/>.</summary>
    bool Running { get; }

    /// <summary>The container the service belongs to, or null.</summary>
    IServiceParent? Parent { get; }

    /// <summary>
    /// Makes <paramref name="parent"/> this service's parent (leaving the previous one first) and adds the service to it;
    /// a running parent starts it at once.
    /// </summary>
    /// <exception cref="InvalidOperationException">The parent already has a child with this service's name.</exception>
    void SetServiceParent(IServiceParent parent);

    /// <summary>Removes the service from its parent; if the parent was running, the service is stopped.</summary>
    /// <returns>The Deferred of that <see cref="StopService"/>, or null when the stop was immediate (or there was none).</returns>
    /// <exception cref="InvalidOperationException">The service has no parent.</exception>
    Deferred? DisownServiceParent();

    /// <summary>
    /// The work to do before the process gives up its privileges (Twisted's <c>privilegedStartService</c>): binding a port
    /// below 1024, say. Runs before <see cref="StartService"/>.
    /// </summary>
    void PrivilegedStartService();

    /// <summary>Starts the service. An exception fails the start of the whole application.</summary>
    void StartService();

    /// <summary>Stops the service.</summary>
    /// <returns>A Deferred that fires when the service has finished stopping, or null when stopping was immediate.</returns>
    Deferred? StopService();
}
