using System.Globalization;
using System.Runtime.InteropServices;
using AsyncCore.Endpoints;
using AsyncCore.Protocols.PortForward;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Transports;

// Relays every connection to 127.0.0.1:<localport> (or any endpoint description) to <host>:<port>, with backpressure
// both ways. Usage: dotnet run --project samples/PortForward -- <localport|server-description> <host> <port>
// Example:          dotnet run --project samples/PortForward -- 8080 example.com 80
//                   dotnet run --project samples/PortForward -- "tcp:8080:interface=0.0.0.0" example.com 80
if (args.Length != 3 || !int.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out var targetPort))
{
    Console.Error.WriteLine("usage: PortForward <localport|server-description> <host> <port>");
    return 2;
}
var listen = int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var localPort)
    ? $"tcp:{localPort}:interface=127.0.0.1"
    : args[0];

// The default reactor: EpollReactor on Linux, EventLoopReactor elsewhere (ASYNCCORE_REACTOR=eventloop|epoll overrides).
using var reactor = ReactorFactory.Create();
var factory = new PortForwardFactory(new HostnameEndpoint(reactor, args[1], targetPort));
_ = Endpoint.ServerFromString(reactor, listen).Listen(factory).AddCallbacks<object?>(
    port =>
    {
        Console.WriteLine($"Forwarding {port.GetHost()} -> {args[1]}:{targetPort} (Ctrl+C to stop)");
        return (object?)null;
    },
    failure =>
    {
        Console.Error.WriteLine($"Cannot listen on {listen}: {failure.GetErrorMessage()}");
        reactor.CallWhenRunning(reactor.Stop);
        return (object?)null;
    });
// Ctrl+C and SIGTERM stop the reactor cleanly: connections get ConnectionLost, the port closes.
void StopReactor(PosixSignalContext context)
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
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, StopReactor);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, StopReactor);
reactor.Run();
return 0;
