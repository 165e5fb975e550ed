using System.Net;
using AsyncCore.Protocols;
using AsyncCore.Tasks;

namespace AsyncCore.InMemory;

/// <summary>
/// Connects two protocols in memory, without sockets (Twisted's <c>protocols.loopback</c> and <c>test.iosim</c>).
/// Deterministic: bytes move only inside <see cref="IOPump.Flush"/> (or at once with <see cref="IOPump.AutoFlush"/>).
/// </summary>
public static class Loopback
{
    /// <summary>The server end's address.</summary>
    public static readonly IPEndPoint ServerAddress = new(IPAddress.Loopback, 80);

    /// <summary>The client end's address.</summary>
    public static readonly IPEndPoint ClientAddress = new(IPAddress.Loopback, 54321);

    /// <summary>
    /// Connects <paramref name="server"/> and <paramref name="client"/> (server first, as iosim does), without moving any
    /// bytes yet. Returns the pump (Twisted's <c>connect</c> and <c>connectedServerAndClient</c>).
    /// </summary>
    /// <param name="server">The server protocol.</param>
    /// <param name="client">The client protocol.</param>
    /// <param name="clock">Advanced by zero on each pump pass, so that due calls run.</param>
    public static IOPump Connect(IProtocol server, IProtocol client, Clock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(client);
        var serverTransport = new FakeTransport(server, isServer: true, ServerAddress, ClientAddress);
        var clientTransport = new FakeTransport(client, isServer: false, ClientAddress, ServerAddress);
        var pump = new IOPump(client, server, clientTransport, serverTransport, clock);
        server.MakeConnection(serverTransport);
        client.MakeConnection(clientTransport);
        return pump;
    }

    /// <summary>
    /// Connects two protocols built by factories, as a listening port and a connector would, and flushes once.
    /// </summary>
    /// <exception cref="NoProtocolException">A factory returned no protocol.</exception>
    public static IOPump ConnectFactories(Factory serverFactory, Factory clientFactory, Clock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(serverFactory);
        ArgumentNullException.ThrowIfNull(clientFactory);
        var server = serverFactory.BuildProtocol(ClientAddress) ?? throw new NoProtocolException();
        var client = clientFactory.BuildProtocol(ServerAddress) ?? throw new NoProtocolException();
        var pump = Connect(server, client, clock);
        pump.Flush();
        return pump;
    }

    /// <summary>
    /// Runs a conversation between two protocols with automatic flushing and returns a Deferred that fires when both sides
    /// are disconnected (Twisted's <c>loopbackAsync</c>).
    /// </summary>
    public static Deferred<object?> LoopbackAsync(IProtocol server, IProtocol client)
    {
        var pump = Connect(server, client);
        pump.AutoFlush = true;
        pump.Flush();
        return pump.WhenDisconnected;
    }
}
