using AsyncCore.Transports;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Application;

/// <summary>
/// Builds an application's service tree: what the <c>asynccore run --app MyApp.dll[:Type]</c> runner loads from an
/// assembly, as twistd loads the <c>application</c> variable of a <c>.tac</c> file. The implementing type needs a public
/// parameterless constructor.
/// </summary>
public interface IApplicationFactory
{
    /// <summary>Builds the root service (usually an <see cref="ApplicationService"/>); the runner starts it.</summary>
    /// <param name="context">The reactor the tree runs on, the remaining command-line arguments and the log.</param>
    IService CreateApplication(ApplicationContext context);
}

/// <summary>What an <see cref="IApplicationFactory"/> is given.</summary>
public sealed class ApplicationContext
{
    /// <summary>Creates a context.</summary>
    public ApplicationContext(INetworkReactor reactor, IReadOnlyList<string> arguments, ILoggerFactory loggerFactory)
    {
        Reactor = reactor ?? throw new ArgumentNullException(nameof(reactor));
        Arguments = arguments ?? throw new ArgumentNullException(nameof(arguments));
        LoggerFactory = loggerFactory ?? throw new ArgumentNullException(nameof(loggerFactory));
    }

    /// <summary>The reactor the tree will run on (not running yet when the factory is called).</summary>
    public INetworkReactor Reactor { get; }

    /// <summary>The command-line arguments given to the application (after <c>--</c> on the runner's command line).</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>Where the application should log: the runner's log.</summary>
    public ILoggerFactory LoggerFactory { get; }
}
