using System.Net;
using AsyncCore.Protocols;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Web;

/// <summary>
/// The server factory of a resource tree (Twisted's <c>server.Site</c>): listen with it on any endpoint, for example
/// <c>Endpoint.ServerFromString(reactor, "tcp:8080").Listen(new Site(root, clock: reactor))</c>.
/// </summary>
public class Site : ServerFactory
{
    /// <summary>Creates the factory.</summary>
    /// <param name="root">The resource at <c>/</c>; its children form the tree.</param>
    /// <param name="options">Limits; defaults when null.</param>
    /// <param name="clock">The clock of the idle and header-read timeouts (<see cref="WebServerOptions.IdleTimeout"/>,
    /// <see cref="WebServerOptions.HeaderReadTimeout"/>) and of the access log's timestamps: the reactor the site
    /// listens on (Twisted's <c>Site(reactor=…)</c>). Without one, no timeout is enforced, which leaves the site open to
    /// slow clients holding connections (slowloris): pass the reactor unless something in front enforces them.</param>
    public Site(Resource root, WebServerOptions? options = null, IReactorTime? clock = null)
    {
        Root = root ?? throw new ArgumentNullException(nameof(root));
        Options = options ?? new WebServerOptions();
        Clock = clock;
    }

    /// <summary>The clock of the timeouts and log timestamps, or null when timeouts are not enforced.</summary>
    public IReactorTime? Clock { get; }

    /// <summary>
    /// Where each request is logged, one line at <see cref="LogLevel.Information"/> in the combined log format
    /// (<c>host ident user [time] "request line" status bytes "referer" "user agent"</c>, Twisted's
    /// <c>combinedLogFormatter</c>), when its response is finished or it is refused. By default the category
    /// <c>AsyncCore.Web.Access</c> of <see cref="AsyncCoreLogging"/>'s factory.
    /// </summary>
    public ILogger AccessLogger { get; init; } = s_accessLogger;

    private static readonly ILogger s_accessLogger = AsyncCoreLogging.CreateLogger(AccessLog.Category);

    /// <summary>The root of the tree.</summary>
    public Resource Root { get; }

    /// <summary>The limits every connection enforces.</summary>
    public WebServerOptions Options { get; }

    /// <summary>The resource that renders the request: the root's child along the request's path.</summary>
    public virtual Resource GetResourceFor(Request request) => Root.GetChildForRequest(request);

    /// <inheritdoc />
    public override IProtocol? BuildProtocol(EndPoint? address) => new HttpChannel(this) { Factory = this };
}
