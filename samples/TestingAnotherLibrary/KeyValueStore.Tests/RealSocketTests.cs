using System.Net;
using AsyncCore;
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

    /// <summary>The same as a test method that is itself an async Deferred: [DeferredFact] runs it on a real reactor.</summary>
    [DeferredFact(TimeoutSeconds = 60)]
    public async Deferred<bool> PipelinedRequests_AnswerInOrderOverLoopback()
    {
        var port = Reactor.ListenTcp(0, KeyValueServer.CreateFactory(new Dictionary<string, string>()), interfaceAddress: "127.0.0.1");
        var client = await KeyValueClient.Connect(Reactor, "127.0.0.1", ((IPEndPoint)port.GetHost()).Port);

        var set = client.Set("a", "1");
        var get = client.Get("a");
        Assert.True(await set);
        Assert.Equal("1", await get);

        client.Close();
        await port.StopListening();
        return await WhenConnectionsClosed(Reactor);
    }
}
