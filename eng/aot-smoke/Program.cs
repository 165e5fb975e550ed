using System.Net;
using System.Text;
using AsyncCore;
using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Reactors;

// Runs as a native executable: prints "aot ok" and exits 0 when the Deferred chain, the timer and the echo all work.
return ReactorMain.React(reactor => Smoke.Run(reactor));

internal static class Smoke
{
    public static async Deferred<int> Run(IReactor reactor)
    {
        var d = new Deferred<int>();
        var text = d.AddCallback(x => x * 2).AddCallback(x => $"value {x}");
        d.Callback(21);
        Console.WriteLine($"chain: {text.Result}");

        await reactor.DeferLater(TimeSpan.FromMilliseconds(10));
        Console.WriteLine("timer fired");

        var port = await Endpoint.ServerFromString(reactor, "tcp:0:interface=127.0.0.1").Listen(Factory.ForProtocol(() => new Echo()));
        var client = new OneReply();
        _ = await Endpoint.ConnectProtocol(
            Endpoint.ClientFromString(reactor, $"tcp:127.0.0.1:{((IPEndPoint)port.GetHost()).Port}"), client);
        client.Transport.Write("ping"u8);
        Console.WriteLine($"echo: {await client.Reply}");
        client.Transport.LoseConnection();
        await port.StopListening();
        Console.WriteLine("aot ok");
        return 0;
    }
}

internal sealed class Echo : Protocol
{
    public override void DataReceived(ReadOnlySpan<byte> data) => Transport.Write(data);
}

internal sealed class OneReply : Protocol
{
    public Deferred<string> Reply { get; } = new();

    public override void DataReceived(ReadOnlySpan<byte> data)
    {
        if (!Reply.Called)
        {
            Reply.Callback(Encoding.ASCII.GetString(data));
        }
    }
}
