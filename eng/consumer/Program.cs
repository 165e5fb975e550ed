using System.Net;
using System.Text;
using AsyncCore;
using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Web;

// A Deferred chain, a timer, a TCP echo and an HTTP request over loopback: prints "consumer ok" and exits 0.
return ReactorMain.React(reactor => Checks.Run(reactor));

internal static class Checks
{
    public static async Deferred<int> Run(IReactor reactor)
    {
        var d = new Deferred<int>();
        var text = d.AddCallback(cents => cents / 100.0).AddCallback(euros => $"{euros:0.00}");
        d.Callback(1999);
        Console.WriteLine($"chain: {text.Result}");

        await reactor.DeferLater(TimeSpan.FromMilliseconds(10));
        Console.WriteLine("timer fired");

        var port = await Endpoint.ServerFromString(reactor, "tcp:0:interface=127.0.0.1").Listen(Factory.ForProtocol(() => new Echo()));
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        var client = new OneReply();
        _ = await Endpoint.ConnectProtocol(Endpoint.ClientFromString(reactor, $"tcp:127.0.0.1:{portNumber}"), client);
        client.Send("ping");
        Console.WriteLine($"echo: {await client.Reply}");
        client.Close();
        await port.StopListening();

        var root = new Resource();
        root.PutChild("hello", new Hello());
        var web = await Endpoint.ServerFromString(reactor, "tcp:0:interface=127.0.0.1").Listen(new Site(root));
        var webPort = ((IPEndPoint)web.GetHost()).Port;
        var http = new OneReply();
        _ = await Endpoint.ConnectProtocol(Endpoint.ClientFromString(reactor, $"tcp:127.0.0.1:{webPort}"), http);
        http.Send($"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        var response = await http.Reply;
        Console.WriteLine($"http: {response[..response.IndexOf('\r', StringComparison.Ordinal)]}");
        http.Close();
        await web.StopListening();

        Console.WriteLine("consumer ok");
        return 0;
    }
}

internal sealed class Echo : Protocol
{
    public override void DataReceived(ReadOnlySpan<byte> data) => Transport.Write(data);
}

internal sealed class Hello : Resource
{
    public override bool IsLeaf => true;

    protected override RenderResult RenderGet(Request request) => "hello";
}

internal sealed class OneReply : Protocol
{
    private readonly Deferred<string> _reply = new();

    public Deferred<string> Reply => _reply;

    public void Send(string text) => Transport.Write(Encoding.ASCII.GetBytes(text));

    public void Close() => Transport.LoseConnection();

    public override void DataReceived(ReadOnlySpan<byte> data)
    {
        if (!_reply.Called)
        {
            _reply.Callback(Encoding.ASCII.GetString(data));
        }
    }
}
