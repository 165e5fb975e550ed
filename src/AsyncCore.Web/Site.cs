using System.Net;
using AsyncCore.Protocols;

namespace AsyncCore.Web;

/// <summary>
/// The server factory of a resource tree (Twisted's <c>server.Site</c>): listen with it on any endpoint, for example
/// <c>Endpoint.ServerFromString(reactor, "tcp:8080").Listen(new Site(root))</c>.
/// </summary>
public class Site : ServerFactory
{
    /// <summary>Creates the factory.</summary>
    /// <param name="root">The resource at <c>/</c>; its children form the tree.</param>
    /// <param name="options">Limits; defaults when null.</param>
    public Site(Resource root, WebServerOptions? options = null)
    {
        Root = root ?? throw new ArgumentNullException(nameof(root));
        Options = options ?? new WebServerOptions();
    }

    /// <summary>The root of the tree.</summary>
    public Resource Root { get; }

    /// <summary>The limits every connection enforces.</summary>
    public WebServerOptions Options { get; }

    /// <summary>The resource that renders the request: the root's child along the request's path.</summary>
    public virtual Resource GetResourceFor(Request request) => Root.GetChildForRequest(request);

    /// <inheritdoc />
    public override IProtocol? BuildProtocol(EndPoint? address) => new HttpChannel(this) { Factory = this };
}
