// Seed 003: a WebSocket echo server beside a web site (Autobahn's WebSocketResource on twisted.web). The Site answers
// "/" with a page whose script opens ws://<host>/ws, sends a text and writes the echo into <p id="out">; "/ws" is the
// echo, with permessage-deflate accepted (browsers offer it).
using System.Runtime.InteropServices;
using AsyncCore;
using AsyncCore.Endpoints;
using AsyncCore.Reactors;
using AsyncCore.Web;
using AsyncCore.WebSockets;

var port = args.Length > 0 ? args[0] : "8080";
using var reactor = ReactorFactory.Create();
var echo = new WebSocketServerFactory(reactor, () => new Echo(), new WebSocketServerOptions { PerMessageDeflate = new PerMessageDeflateOptions() });
var root = new Resource();
root.PutChild("", new Page());
root.PutChild("ws", new WebSocketResource(echo));
var site = new Site(root, clock: reactor);
reactor.CallWhenRunning(() => _ = Endpoint.ServerFromString(reactor, $"tcp:{port}:interface=127.0.0.1").Listen(site).AddCallbacks(
    listening =>
    {
        Console.WriteLine($"open http://{listening.GetHost()}/ in a browser; the echo socket is at /ws");
        return true;
    },
    failure =>
    {
        Console.Error.WriteLine($"cannot listen on port {port}: {failure.GetErrorMessage()}");
        reactor.Stop();
        return false;
    }));
// Ctrl+C and SIGTERM stop the reactor: open sockets get their ConnectionLost, the port closes.
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    reactor.CallFromThread(() =>
    {
        if (reactor.Running && !reactor.Stopping)
        {
            reactor.Stop();
        }
    });
}
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
reactor.Run();

/// <summary>Echoes every message as it came, text as text and binary as binary.</summary>
sealed class Echo : WebSocketServerProtocol
{
    protected override void OnMessage(byte[] payload, bool isBinary) => SendMessage(payload, isBinary);
}

/// <summary>The page: opens the socket, sends, shows the echo (and sets the title to "done" for headless checks).</summary>
sealed class Page : Resource
{
    private const string Html = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>pending</title></head>
        <body>
        <p id="out">pending</p>
        <p id="extensions"></p>
        <script>
        const socket = new WebSocket(`ws://${location.host}/ws`);
        socket.onopen = () => {
          document.getElementById("extensions").textContent = socket.extensions;
          socket.send("hello-from-browser");
        };
        socket.onmessage = event => {
          document.getElementById("out").textContent = "echo:" + event.data;
          document.title = "done";
          socket.close(1000, "seen");
        };
        socket.onerror = () => { document.getElementById("out").textContent = "error"; };
        </script>
        </body></html>
        """;

    protected override RenderResult RenderGet(Request request)
    {
        request.SetHeader("Content-Type", "text/html; charset=utf-8");
        return Html;
    }
}
