using AsyncCore.Endpoints;
using AsyncCore.Reactor;

namespace AsyncCore.Application;

/// <summary>Helpers to run a service tree on a reactor and to put a <see cref="ClientService"/> in one.</summary>
public static class ServiceExtensions
{
    /// <summary>
    /// Starts <paramref name="service"/> when <paramref name="reactor"/> starts (at once if it runs) and stops it, waiting
    /// for its Deferreds, when the reactor stops. See <see cref="ServiceRunner"/>.
    /// </summary>
    /// <example><code>
    /// var application = new ApplicationService("echo");
    /// Strports.Service("tcp:8082", echoFactory, reactor).SetServiceParent(application);
    /// var runner = application.AttachTo(reactor);
    /// reactor.Run();
    /// return runner.StartFailure is null ? 0 : 1;
    /// </code></example>
    public static ServiceRunner AttachTo(this IService service, IReactorCore reactor) => new(service, reactor);

    /// <summary>A service that starts and stops <paramref name="client"/>, to put it in a service tree.</summary>
    public static ClientServiceAdapter AsService(this ClientService client, string? name = null) => new(client, name);
}
