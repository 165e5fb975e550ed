using System.Text;
using AsyncCore.Protocols;

namespace KeyValueStore;

/// <summary>
/// The server side of a line protocol: <c>SET key value</c> answers <c>OK</c>, <c>GET key</c> answers
/// <c>VALUE value</c> or <c>MISSING</c>, anything else <c>ERROR unknown command</c>. Every connection of one factory
/// shares one store.
/// </summary>
public sealed class KeyValueServer(Dictionary<string, string> store) : LineReceiver
{
    /// <summary>A factory whose connections share <paramref name="store"/>.</summary>
    public static Factory CreateFactory(Dictionary<string, string> store) => Factory.ForProtocol(() => new KeyValueServer(store));

    /// <inheritdoc />
    protected override void LineReceived(ReadOnlySpan<byte> line)
    {
        var parts = Encoding.UTF8.GetString(line).Split(' ', 3);
        var reply = parts switch
        {
            ["SET", var key, var value] => Set(key, value),
            ["GET", var key] => store.TryGetValue(key, out var value) ? "VALUE " + value : "MISSING",
            _ => "ERROR unknown command",
        };
        SendLine(Encoding.UTF8.GetBytes(reply));
    }

    private string Set(string key, string value)
    {
        store[key] = value;
        return "OK";
    }
}
