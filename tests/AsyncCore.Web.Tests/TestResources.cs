using System.Text;

namespace AsyncCore.Web.Tests;

/// <summary>Answers GET with its name and the rest of the path.</summary>
internal sealed class Hello(string name) : Resource
{
    public override bool IsLeaf => true;

    protected override RenderResult RenderGet(Request request) =>
        name + ":" + string.Join("/", request.PostPath) + (request.GetArg("x") is { } x ? "?x=" + x : "");
}

/// <summary>Answers POST with the body it received.</summary>
internal sealed class Echo : Resource
{
    protected override RenderResult RenderPost(Request request)
    {
        using var copy = new MemoryStream();
        request.Content.CopyTo(copy);
        return copy.ToArray();
    }
}

/// <summary>Keeps each GET open (NotDoneYet) for the test to finish.</summary>
internal sealed class Later : Resource
{
    public List<Request> Pending { get; } = [];

    public Deferred<Request> Arrived { get; } = new();

    protected override RenderResult RenderGet(Request request)
    {
        Pending.Add(request);
        if (!Arrived.Called)
        {
            Arrived.Callback(request);
        }
        return RenderResult.NotDoneYet;
    }
}

/// <summary>Renders with an async Deferred method that waits for the test.</summary>
internal sealed class Async : Resource
{
    public Deferred<string> Gate { get; } = new();

    protected override RenderResult RenderGet(Request request) => Render();

    private async Deferred<string> Render() => "async " + await Gate;
}

/// <summary>Throws from its render method.</summary>
internal sealed class Boom : Resource
{
    protected override RenderResult RenderGet(Request request) => throw new InvalidOperationException("boom");
}

/// <summary>Writes in pieces without a length, so the response is chunked.</summary>
internal sealed class Pieces : Resource
{
    protected override RenderResult RenderGet(Request request)
    {
        request.Write("one,");
        request.Write(Encoding.UTF8.GetBytes("two"));
        request.Finish();
        return RenderResult.NotDoneYet;
    }
}

internal static class TestSite
{
    public static (Resource Root, Later Later, Async Async) Build()
    {
        var root = new Resource();
        var later = new Later();
        var async = new Async();
        root.PutChild("", new Hello("root"));
        root.PutChild("hello", new Hello("hello"));
        root.PutChild("echo", new Echo());
        root.PutChild("later", later);
        root.PutChild("async", async);
        root.PutChild("boom", new Boom());
        root.PutChild("pieces", new Pieces());
        return (root, later, async);
    }
}
