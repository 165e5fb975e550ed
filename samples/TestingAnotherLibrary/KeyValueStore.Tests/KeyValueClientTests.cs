using System.Text;
using AsyncCore;
using AsyncCore.Protocols;
using AsyncCore.Testing;

namespace KeyValueStore.Tests;

/// <summary>The client against MemoryReactor: the test plays the network and the clock.</summary>
public sealed class KeyValueClientTests : ReactorTestBase
{
    [Fact]
    public void Connect_GoesToTheGivenAddress_AndFiresOnceAccepted()
    {
        var connecting = KeyValueClient.Connect(MemoryReactor, "kv.example", 7070);

        var connector = Assert.Single(MemoryReactor.TcpClients);
        Assert.Equal(("kv.example", 7070), (connector.Host, connector.Port));
        DeferredAssert.AssertNoResult(connecting);

        connector.Accept();
        Assert.NotNull(DeferredAssert.SuccessResultOf(connecting));
        connector.Lose();
    }

    [Fact]
    public void Connect_Refused_FailsWithTheReason()
    {
        var connecting = KeyValueClient.Connect(MemoryReactor, "kv.example", 7070);

        MemoryReactor.TcpClients[0].Fail(new ConnectionRefusedException());

        DeferredAssert.FailureResultOf(connecting, typeof(ConnectionRefusedException));
    }

    [Fact]
    public void PipelinedRequests_AreAnsweredInOrder()
    {
        var (client, connector) = Connected();

        var set = client.Set("a", "1");
        var present = client.Get("a");
        var missing = client.Get("b");
        Assert.Equal("SET a 1\r\nGET a\r\nGET b\r\n", Encoding.UTF8.GetString(connector.Transport!.Value()));
        DeferredAssert.AssertNoResult(set);

        client.DataReceived("OK\r\nVALUE 1\r\nMISS"u8);
        Assert.True(DeferredAssert.SuccessResultOf(set));
        Assert.Equal("1", DeferredAssert.SuccessResultOf(present));
        DeferredAssert.AssertNoResult(missing);

        client.DataReceived("ING\r\n"u8);
        Assert.Null(DeferredAssert.SuccessResultOf(missing));
        connector.Lose();
    }

    [Fact]
    public void RequestWithoutReply_TimesOutAndDropsTheConnection()
    {
        var (client, connector) = Connected();
        var reply = client.Get("slow");

        MemoryReactor.Advance(TimeSpan.FromSeconds(4.9));
        DeferredAssert.AssertNoResult(reply);

        MemoryReactor.Advance(TimeSpan.FromSeconds(0.1));
        var failure = DeferredAssert.FailureResultOf(reply, typeof(TimeoutException));
        Assert.Contains("GET slow", failure.GetErrorMessage(), StringComparison.Ordinal);
        Assert.True(connector.Transport!.Disconnecting);
        connector.Lose();
    }

    [Fact]
    public void ConnectionLost_FailsEveryWaitingRequest()
    {
        var (client, connector) = Connected();
        var first = client.Get("a");
        var second = client.Set("b", "2");

        connector.Lose(new ConnectionLostException());

        DeferredAssert.FailureResultOf(first, typeof(ConnectionLostException));
        DeferredAssert.FailureResultOf(second, typeof(ConnectionLostException));
    }

    private (KeyValueClient Client, MemoryConnector Connector) Connected()
    {
        var connecting = KeyValueClient.Connect(MemoryReactor, "kv.example", 7070);
        var connector = MemoryReactor.TcpClients[0];
        connector.Accept();
        return (DeferredAssert.SuccessResultOf(connecting), connector);
    }
}
