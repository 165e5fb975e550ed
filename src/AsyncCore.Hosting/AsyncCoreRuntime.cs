using AsyncCore.Application;
using AsyncCore.Reactors;
using AsyncCore.Transports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Hosting;

/// <summary>The host's reactor and the root of its service tree, made once per host.</summary>
internal sealed class AsyncCoreRuntime : IDisposable
{
    public AsyncCoreRuntime(AsyncCoreOptions options, IServiceProvider provider)
    {
        Options = options;
        options.Reactor.LoggerFactory ??= provider.GetService<ILoggerFactory>();
        Reactor = ReactorFactory.Create(options.ReactorKind, options.Reactor);
        Root = new ApplicationService(options.ApplicationName);
    }

    public AsyncCoreOptions Options { get; }

    public NetworkReactorBase Reactor { get; }

    public ApplicationService Root { get; }

    public void Dispose() => Reactor.Dispose();
}
