using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Testing;

namespace AsyncCore.Web.Tests;

public sealed class RenderFailureLoggingTests
{
    [Fact]
    public void FailingDeferredRender_IsLoggedWithTheRequest_AndAnswered500()
    {
        using var capture = new LogCapture();
        using var installed = capture.InstallAsDefault();
        var (root, _, async) = TestSite.Build();
        var transport = new StringTransport();
        var channel = new Site(root).BuildProtocol(null)!;
        channel.MakeConnection(transport);
        channel.DataReceived(Encoding.ASCII.GetBytes("GET /async?marker HTTP/1.1\r\nHost: x\r\n\r\n"));

        async.Gate.Errback(new InvalidOperationException("render-failure-marker-7f3"));

        var entry = Assert.Single(capture.With("render-failure-marker-7f3"));
        Assert.Equal("Rendering GET /async?marker failed", entry.Message);
        Assert.Equal(500, Assert.Single(HttpResponse.ParseAll(transport.Value())).Code);
    }
}
