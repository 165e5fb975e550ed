using System.Net;
using AsyncCore.Testing;

namespace KeyValueStore.Tests;

/// <summary>The same client and server over a real TCP connection on a real reactor, with the end-of-test checks.</summary>
public sealed class RealSocketTests : ReactorTestBase
{
    [Fact]
    public Task ClientAndServer_TalkOverLoopback() => RunOnReactor(async reactor =>
    {
        var store = new Dictionary<string, string>();
        var port = reactor.ListenTcp(0, KeyValueServer.CreateFactory(store), interfaceAddress: "127.0.0.1");
        var client = await KeyValueClient.Connect(reactor, "127.0.0.1", ((IPEndPoint)port.GetHost()).Port);

        Assert.True(await client.Set("city", "Lyon"));
        Assert.Equal("Lyon", await client.Get("city"));
        Assert.Null(await client.Get("country"));
        Assert.Equal("Lyon", store["city"]);

        client.Close();
        await port.StopListening();
        await WhenConnectionsClosed(reactor);
        return true;
    });
}
