using AsyncCore;
using AsyncCore.Reactors;
using AsyncCore.WebSockets;

// The AsyncCore WebSocket echo server of bench/run-ws.sh: every message goes back as it came (text as text, binary as
// binary), on the default reactor (ReactorFactory.Create: EpollReactor on Linux), standalone on a ws: endpoint.
//   AsyncCore.WebSockets.Benchmarks PORT [deflate]
// deflate: accept permessage-deflate (the runtime's zlib, default settings: context takeover, 15-bit windows).
if (args.Length is < 1 or > 2 || !int.TryParse(args[0], out var port) || (args.Length == 2 && args[1] != "deflate"))
{
    Console.Error.WriteLine("usage: AsyncCore.WebSockets.Benchmarks PORT [deflate]");
    return 2;
}
var reactor = ReactorFactory.Create();
var options = new WebSocketServerOptions
{
    PerMessageDeflate = args.Length == 2 ? new PerMessageDeflateOptions() : null,
    OpenHandshakeTimeout = null,
};
var factory = new WebSocketServerFactory(reactor, () => new Echo(), options) { Noisy = false };
reactor.CallWhenRunning(() => WebSocketEndpoints.Listen(reactor, $"ws:{port}:interface=127.0.0.1:backlog=1024", factory)
    .AddBoth(listening =>
    {
        Console.Error.WriteLine(listening.Failure is null ? $"asynccore ws echo ({reactor.GetType().Name}) on {port}" : $"listen failed: {listening.Failure.Value.Message}");
        return true;
    }));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    reactor.CallFromThread(reactor.Stop);
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => reactor.CallFromThread(reactor.Stop);
reactor.Run();
return 0;

/// <summary>Echoes every message.</summary>
internal sealed class Echo : WebSocketServerProtocol
{
    protected override void OnMessage(byte[] payload, bool isBinary) => SendMessage(payload, isBinary);
}
