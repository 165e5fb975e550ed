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
    /// <param name="clock">The clock of the timeouts (<see cref="WebServerOptions.IdleTimeout"/>,
    /// <see cref="WebServerOptions.HeaderReadTimeout"/>, <see cref="WebServerOptions.WriteTimeout"/>) and of the access
    /// log's timestamps (Twisted's <c>Site(reactor=…)</c>). Without one, each connection uses the reactor that accepted
    /// it (<see cref="AsyncCore.Reactor.ReactorBase.Current"/>); only a connection made off a reactor thread (an
    /// in-memory test transport) then has no timeouts. A virtual clock here drives them in tests.</param>
    public Site(Resource root, WebServerOptions? options = null, IReactorTime? clock = null)
    {
        Root = root ?? throw new ArgumentNullException(nameof(root));
        Options = options ?? new WebServerOptions();
        Clock = clock;
    }

    /// <summary>The clock given to the constructor, or null when each connection uses its reactor's.</summary>
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
