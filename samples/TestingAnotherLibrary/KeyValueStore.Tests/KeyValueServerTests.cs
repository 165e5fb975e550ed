using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Testing;

namespace KeyValueStore.Tests;

/// <summary>The server protocol alone, over a StringTransport: bytes in, bytes out, nothing in the background.</summary>
public sealed class KeyValueServerTests : ReactorTestBase
{
    private readonly Dictionary<string, string> _store = [];
    private readonly StringTransport _transport = new();
    private readonly KeyValueServer _server;

    public KeyValueServerTests()
    {
        _server = new KeyValueServer(_store);
        _server.MakeConnection(_transport);
    }

    private string Feed(string bytes)
    {
        _transport.Clear();
        _server.DataReceived(Encoding.UTF8.GetBytes(bytes));
        return Encoding.UTF8.GetString(_transport.Value());
    }

    [Fact]
    public void SetThenGet_AnswersOkThenTheValue()
    {
        Assert.Equal("OK\r\n", Feed("SET colour teal\r\n"));
        Assert.Equal("VALUE teal", Feed("GET colour\r\n").TrimEnd());
        Assert.Equal("teal", _store["colour"]);
    }

    [Fact]
    public void LinesSplitAcrossReads_AreAnsweredOnceComplete()
    {
        Assert.Equal("", Feed("GET mis"));
        Assert.Equal("MISSING\r\n", Feed("sing\r\nSET a "));
        Assert.Equal("OK\r\n", Feed("b c\r\n"));
        Assert.Equal("b c", _store["a"]);
    }

    [Fact]
    public void UnknownCommand_IsAnErrorReply_AndTheConnectionStays()
    {
        Assert.Equal("ERROR unknown command\r\n", Feed("DELETE everything\r\n"));
        Assert.False(_transport.Disconnecting);
    }
}
