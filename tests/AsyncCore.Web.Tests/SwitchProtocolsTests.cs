using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;

namespace AsyncCore.Web.Tests;

/// <summary>Request.SwitchProtocols: the 101 answer and the hand-over of the connection (what a WebSocket resource uses).</summary>
public sealed class SwitchProtocolsTests
{
    [Fact]
    public void SwitchProtocols_Answers101_ThenTheNewProtocolGetsTheRestTheFollowingBytesAndTheLoss()
    {
        var upgraded = new Recorder();
        var root = new Resource();
        root.PutChild("up", new Upgrading(upgraded));
        var transport = new StringTransport();
        var channel = new Site(root).BuildProtocol(null)!;
        channel.MakeConnection(transport);

        channel.DataReceived("GET /up HTTP/1.1\r\nHost: h\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nfirst"u8);
        var head = Encoding.Latin1.GetString(transport.Value());
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Upgrade: echo\r\n", head, StringComparison.Ordinal);
        Assert.DoesNotContain("Content-Length", head, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", head, StringComparison.Ordinal);
        Assert.Same(transport, upgraded.Transport);

        channel.DataReceived("GET / HTTP/1.1\r\n\r\n"u8); // no longer HTTP: the new protocol's bytes
        Assert.Equal("firstGET / HTTP/1.1\r\n\r\n", upgraded.Received.ToString());
        channel.ConnectionLost(new Failure(new ConnectionDoneException()));
        Assert.True(upgraded.Lost);
    }

    [Fact]
    public void SwitchProtocols_AfterTheResponseStarted_Throws()
    {
        var request = default(Request);
        var root = new Resource();
        root.PutChild("up", new Capture(r => request = r));
        var transport = new StringTransport();
        var channel = new Site(root).BuildProtocol(null)!;
        channel.MakeConnection(transport);
        channel.DataReceived("GET /up HTTP/1.1\r\nHost: h\r\n\r\n"u8);
        request!.Write("started");
        Assert.Throws<InvalidOperationException>(() => request.SwitchProtocols(new Recorder()));
    }

    private sealed class Upgrading(IProtocol next) : Resource
    {
        protected override RenderResult RenderGet(Request request)
        {
            request.SetHeader("Upgrade", "echo");
            request.SetHeader("Connection", "Upgrade");
            request.SwitchProtocols(next);
            return RenderResult.NotDoneYet;
        }
    }

    private sealed class Capture(Action<Request> seen) : Resource
    {
        protected override RenderResult RenderGet(Request request)
        {
            seen(request);
            return RenderResult.NotDoneYet;
        }
    }

    private sealed class Recorder : Protocol
    {
        public StringBuilder Received { get; } = new();

        public bool Lost { get; private set; }

        public override void DataReceived(ReadOnlySpan<byte> data) => Received.Append(Encoding.ASCII.GetString(data));

        public override void ConnectionLost(Failure reason)
        {
            Lost = true;
            base.ConnectionLost(reason);
        }
    }
}
