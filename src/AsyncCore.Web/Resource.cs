using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace AsyncCore.Web;

/// <summary>
/// A node of the URL tree (Twisted's <c>resource.Resource</c>): children are found by path segment with
/// <see cref="PutChild"/> or computed by <see cref="GetChild"/>; a leaf (<see cref="IsLeaf"/>) takes the rest of the
/// path itself. <see cref="Render"/> calls <see cref="RenderGet"/>, <see cref="RenderPost"/>… by the request's method;
/// a method the subclass does not override answers 405 with an <c>Allow</c> header listing those it does.
/// </summary>
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.NonPublicMethods)]
public class Resource
{
    private static readonly ConcurrentDictionary<Type, string> s_allowed = new();
    private readonly Dictionary<string, Resource> _children = new(StringComparer.Ordinal);

    /// <summary>True when this resource renders every path below it (the rest stays in <see cref="Request.PostPath"/>).</summary>
    public virtual bool IsLeaf => false;

    /// <summary>The children added with <see cref="PutChild"/>, by path segment.</summary>
    public IReadOnlyDictionary<string, Resource> Children => _children;

    /// <summary>
    /// Adds a static child at one path segment. The segment <c>""</c> is the child for a trailing slash (the root
    /// resource's <c>""</c> child answers <c>/</c>).
    /// </summary>
    public void PutChild(string path, Resource child)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(child);
        if (path.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A child's path is one segment, without '/'.", nameof(path));
        }
        _children[path] = child;
    }

    /// <summary>
    /// The child for a segment that has no static child; by default a 404 page. Override to compute children
    /// (a database row by id, for example).
    /// </summary>
    public virtual Resource GetChild(string path, Request request) => ErrorPage.NotFound();

    /// <summary>The static child of that segment if there is one, else <see cref="GetChild"/>.</summary>
    public virtual Resource GetChildWithDefault(string path, Request request) =>
        _children.TryGetValue(path, out var child) ? child : GetChild(path, request);

    /// <summary>
    /// Walks from this resource along the request's <see cref="Request.PostPath"/>, moving each segment to
    /// <see cref="Request.PrePath"/>, until the path ends or a leaf is reached (Twisted's <c>getChildForRequest</c>).
    /// </summary>
    public Resource GetChildForRequest(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var resource = this;
        while (request.PostPath.Count > 0 && !resource.IsLeaf)
        {
            var segment = request.PostPath[0];
            request.PostPath.RemoveAt(0);
            request.PrePath.Add(segment);
            resource = resource.GetChildWithDefault(segment, request);
        }
        return resource;
    }

    /// <summary>
    /// Renders the request by its method: <c>GET</c> → <see cref="RenderGet"/>, <c>HEAD</c> → <see cref="RenderHead"/>
    /// (by default <see cref="RenderGet"/> with the body left out), <c>POST</c>, <c>PUT</c>, <c>DELETE</c>,
    /// <c>PATCH</c>, <c>OPTIONS</c>; any other method, or one not overridden, answers 405 with <c>Allow</c>.
    /// </summary>
    public virtual RenderResult Render(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var allowed = AllowedMethods();
        if (!allowed.Split(", ").Contains(request.Method, StringComparer.Ordinal))
        {
            request.ResponseCode = 405;
            request.ResponseHeaders.Set("Allow", allowed);
            request.ResponseHeaders.Set("Content-Type", "text/plain; charset=utf-8");
            return "405 Method Not Allowed\n";
        }
        return request.Method switch
        {
            "GET" => RenderGet(request),
            "HEAD" => RenderHead(request),
            "POST" => RenderPost(request),
            "PUT" => RenderPut(request),
            "DELETE" => RenderDelete(request),
            "PATCH" => RenderPatch(request),
            _ => RenderOptions(request),
        };
    }

    /// <summary>Answers <c>GET</c>; not allowed unless overridden.</summary>
    protected virtual RenderResult RenderGet(Request request) => throw NotOverridden();

    /// <summary>Answers <c>HEAD</c>: by default <see cref="RenderGet"/>, whose body the server leaves out.</summary>
    protected virtual RenderResult RenderHead(Request request) => RenderGet(request);

    /// <summary>Answers <c>POST</c>; not allowed unless overridden.</summary>
    protected virtual RenderResult RenderPost(Request request) => throw NotOverridden();

    /// <summary>Answers <c>PUT</c>; not allowed unless overridden.</summary>
    protected virtual RenderResult RenderPut(Request request) => throw NotOverridden();

    /// <summary>Answers <c>DELETE</c>; not allowed unless overridden.</summary>
    protected virtual RenderResult RenderDelete(Request request) => throw NotOverridden();

    /// <summary>Answers <c>PATCH</c>; not allowed unless overridden.</summary>
    protected virtual RenderResult RenderPatch(Request request) => throw NotOverridden();

    /// <summary>Answers <c>OPTIONS</c>; not allowed unless overridden.</summary>
    protected virtual RenderResult RenderOptions(Request request) => throw NotOverridden();

    /// <summary>The methods this resource answers, as the <c>Allow</c> header lists them (those overridden, and
    /// <c>HEAD</c> with <c>GET</c>).</summary>
    protected virtual string AllowedMethods()
    {
        var type = GetType();
        if (!s_allowed.TryGetValue(type, out var allowed))
        {
            allowed = ResourceMethods.FindAllowed(type);
            s_allowed[type] = allowed;
        }
        return allowed;
    }

    private InvalidOperationException NotOverridden() =>
        new($"{GetType().Name} does not override this render method; Render answers 405 for it.");
}
