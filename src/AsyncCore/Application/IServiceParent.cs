namespace AsyncCore.Application;

/// <summary>
/// A service that holds other services (Twisted's <c>IServiceCollection</c>; renamed because
/// <c>Microsoft.Extensions.DependencyInjection.IServiceCollection</c> is in scope in every hosted program). Enumerating it
/// gives the children in the order they were added.
/// </summary>
public interface IServiceParent : IEnumerable<IService>
{
    /// <summary>The child named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No child has that name.</exception>
    IService GetServiceNamed(string name);

    /// <summary>
    /// Adds a child. Normally called by <see cref="IService.SetServiceParent"/>; calling it directly on a service whose
    /// <see cref="IService.Parent"/> is another container goes through <see cref="IService.SetServiceParent"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A child already has the service's name.</exception>
    void AddService(IService service);

    /// <summary>Removes a child; if this container is running, the child is stopped.</summary>
    /// <returns>The child's <see cref="IService.StopService"/> Deferred, or null.</returns>
    /// <exception cref="ArgumentException">The service is not a child of this container.</exception>
    Deferred? RemoveService(IService service);
}
