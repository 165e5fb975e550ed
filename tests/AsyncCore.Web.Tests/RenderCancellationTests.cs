using AsyncCore.InMemory;
using AsyncCore.Protocols;

namespace AsyncCore.Web.Tests;

/// <summary>A render still pending (a Deferred or an async Deferred method) is cancelled when the client goes away.</summary>
public sealed class RenderCancellationTests
{
    private sealed class Pending(Func<Deferred<string>> render) : Resource
    {
        protected override RenderResult RenderGet(Request request) => render();
    }

    private static (IProtocol Channel, StringTransport Transport) Serve(Func<Deferred<string>> render)
    {
        var root = new Resource();
        root.PutChild("p", new Pending(render));
        var transport = new StringTransport();
        var channel = new Site(root).BuildProtocol(null)!;
        channel.MakeConnection(transport);
        channel.DataReceived("GET /p HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        return (channel, transport);
    }

    [Fact]
    public void DeferredRender_ClientGoesAway_ItsCancellerRuns_AndNothingIsWritten()
    {
        var cancelled = false;
        var (channel, transport) = Serve(() => new Deferred<string>(_ => cancelled = true));

        channel.ConnectionLost(new Failure(new ConnectionLostException()));

        Assert.True(cancelled);
        Assert.Empty(transport.Value());
    }

    [Fact]
    public void AsyncDeferredRender_ClientGoesAway_TheAwaitedDeferredIsCancelled()
    {
        var awaited = new Deferred<string>();
        Failure? seen = null;
        async Deferred<string> Render()
        {
            try
            {
                return await awaited;
            }
            catch (CancelledException e)
            {
                seen = new Failure(e);
                throw;
            }
        }
        var (channel, _) = Serve(Render);

        channel.ConnectionLost(new Failure(new ConnectionDoneException()));

        Assert.IsType<CancelledException>(seen?.Value);
    }

    [Fact]
    public void DeferredRender_FiringNormally_IsNotCancelled()
    {
        var cancelled = false;
        var render = new Deferred<string>(_ => cancelled = true);
        var (channel, transport) = Serve(() => render);
        render.Callback("done");
        channel.ConnectionLost(new Failure(new ConnectionDoneException()));
        Assert.False(cancelled);
        Assert.Equal("done", Assert.Single(HttpResponse.ParseAll(transport.Value())).Body);
    }
}
