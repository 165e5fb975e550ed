// Seed 001's Qt integration, headless: a HostLoopReactor driven by a UI-style message loop on the main thread. Timers,
// network callbacks and results of background work all arrive on the UI thread, so they may touch "widgets" (here a
// status line) directly, and the loop never blocks on the network.
//   dotnet run --project samples/UiThreadReactor
using System.Text;
using AsyncCore;
using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Tasks;
using UiThreadReactor;

using var loop = new MessageLoop();
var reactor = new HostLoopReactor(loop.Context);
var window = new StatusWindow(loop);

reactor.CallWhenRunning(() => _ = Demo.RunThenStop(reactor, window));
// When the reactor has shut down, close the "application": the loop ends and Main returns.
_ = reactor.Completion.ContinueWith(_ => loop.Quit(), TaskScheduler.Default);

reactor.Start();
loop.Run();
await reactor.DisposeAsync();
Console.WriteLine($"UI loop ended; every update ran on the UI thread: {window.AllOnUiThread}");
return window.AllOnUiThread ? 0 : 1;

internal static class Demo
{
    public static async Deferred<int> RunThenStop(HostLoopReactor reactor, StatusWindow window)
    {
        try
        {
            await Run(reactor, window);
            window.Show("demo finished");
        }
        catch (Exception e)
        {
            window.Show($"demo failed: {e.Message}");
        }
        finally
        {
            reactor.Stop();
        }
        return 0;
    }

    public static async Deferred<int> Run(HostLoopReactor reactor, StatusWindow window)
    {
        // A clock on the status line, ticking from the reactor's timers.
        var ticks = 0;
        var clock = new LoopingCall(reactor, () => window.Show($"tick {++ticks}"));
        _ = clock.Start(TimeSpan.FromMilliseconds(50));

        // A TCP echo server and a client, both on the UI loop's reactor.
        var port = await Endpoint.ServerFromString(reactor, "tcp:0:interface=127.0.0.1").Listen(Factory.ForProtocol(() => new Echo()));
        var portNumber = ((System.Net.IPEndPoint)port.GetHost()).Port;
        window.Show($"echo server listening on port {portNumber}");
        var client = new EchoClient(window);
        _ = await Endpoint.ConnectProtocol(Endpoint.ClientFromString(reactor, $"tcp:127.0.0.1:{portNumber}"), client);
        client.Send("hello from the UI thread");
        window.Show($"echoed: {await client.Reply}");
        client.Close();

        // Blocking work goes to the thread pool; its result comes back on the UI thread.
        var sum = await reactor.DeferToThread(() =>
        {
            Thread.Sleep(100); // stands in for a slow computation that must not freeze the UI
            return Enumerable.Range(1, 1000).Sum();
        });
        window.Show($"background sum: {sum}");

        clock.Stop();
        await port.StopListening();
        return 0;
    }
}

/// <summary>The "window": a status line that may only be touched from the UI thread.</summary>
internal sealed class StatusWindow(MessageLoop loop)
{
    public bool AllOnUiThread { get; private set; } = true;

    public void Show(string status)
    {
        var onUi = Environment.CurrentManagedThreadId == loop.ThreadId;
        AllOnUiThread &= onUi;
        Console.WriteLine($"[{(onUi ? "ui thread" : "OTHER THREAD")}] {status}");
    }
}

internal sealed class Echo : Protocol
{
    public override void DataReceived(ReadOnlySpan<byte> data) => Transport.Write(data);
}

internal sealed class EchoClient(StatusWindow window) : Protocol
{
    private readonly Deferred<string> _reply = new();

    public Deferred<string> Reply => _reply;

    public void Send(string text)
    {
        window.Show($"sending: {text}");
        Transport.Write(Encoding.UTF8.GetBytes(text));
    }

    public void Close() => Transport.LoseConnection();

    public override void DataReceived(ReadOnlySpan<byte> data) => _reply.Callback(Encoding.UTF8.GetString(data));
}
