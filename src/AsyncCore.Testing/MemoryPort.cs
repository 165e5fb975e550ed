using System.Net;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Testing;

/// <summary>
/// A listen call recorded by <see cref="MemoryReactor"/> (Twisted's entries of <c>tcpServers</c>, <c>sslServers</c>,
/// <c>unixServers</c>, <c>udpServers</c>) and the port it returned. Nothing listens: the test plays the part of an
/// incoming connection with <see cref="Connect"/>.
/// </summary>
public sealed class MemoryPort : IListeningPort
{
    private readonly MemoryReactor _reactor;

    internal MemoryPort(MemoryReactor reactor, MemoryConnectionKind kind, EndPoint host)
    {
        _reactor = reactor;
        Kind = kind;
        Host = host;
    }

    /// <summary>Which listen call this is.</summary>
    public MemoryConnectionKind Kind { get; }

    /// <summary>The port asked for (TCP, TLS, UDP); 0 for any, in which case <see cref="GetHost"/> reports a made-up one.</summary>
    public int Port { get; init; }

    /// <summary>The socket file path (UNIX), else null.</summary>
    public string? Path { get; init; }

    /// <summary>The factory given (TCP, TLS, UNIX), else null.</summary>
    public Factory? Factory { get; init; }

    /// <summary>The datagram protocol given (UDP), else null. It is not started.</summary>
    public DatagramProtocol? DatagramProtocol { get; init; }

    /// <summary>The listen backlog given.</summary>
    public int Backlog { get; init; }

    /// <summary>The interface address given (TCP, TLS, UDP).</summary>
    public string InterfaceAddress { get; init; } = "";

    /// <summary>The TLS options given (TLS), else null.</summary>
    public TlsServerOptions? TlsOptions { get; init; }

    /// <summary>The file mode given (UNIX).</summary>
    public int Mode { get; init; }

    /// <summary>Whether a PID lock was asked for (UNIX).</summary>
    public bool WantPid { get; init; }

    /// <summary>The largest datagram given (UDP).</summary>
    public int MaxPacketSize { get; init; }

    /// <summary>True until <see cref="StopListening"/>.</summary>
    public bool Listening { get; private set; } = true;

    internal EndPoint Host { get; }

    /// <summary>Stops "listening" at once; the Deferred has already fired.</summary>
    public Deferred<object?> StopListening()
    {
        Listening = false;
        return Deferred.Succeed(null);
    }

    /// <summary>The address the port reports: the interface and port asked for (a fixed made-up port for port 0).</summary>
    public EndPoint GetHost() => Host;

    /// <summary>
    /// Plays an incoming connection: builds a protocol with <see cref="Factory"/> for the transport's peer address and
    /// connects it to <paramref name="transport"/> (a new <see cref="StringTransport"/> when null), whose writes the test
    /// reads. The connection counts as open for the end-of-test checks until the protocol closes or aborts it.
    /// </summary>
    /// <returns>The server protocol.</returns>
    /// <exception cref="InvalidOperationException">A UDP port, or the port stopped listening.</exception>
    /// <exception cref="NoProtocolException">The factory refused the connection.</exception>
    public IProtocol Connect(StringTransport? transport = null)
    {
        if (Factory is null)
        {
            throw new InvalidOperationException("A UDP port takes no connections.");
        }
        if (!Listening)
        {
            throw new InvalidOperationException($"{this} is no longer listening.");
        }
        transport ??= new StringTransport(Host, null);
        var protocol = Factory.BuildProtocol(transport.PeerAddress) ?? throw new NoProtocolException();
        _reactor.AddConnection(transport);
        protocol.MakeConnection(transport);
        return protocol;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"<MemoryPort {Kind} {(Path ?? Host.ToString())}{(Listening ? "" : " (stopped)")}>";
}
