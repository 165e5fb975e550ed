using System.Net;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Testing;

/// <summary>
/// A connect call recorded by <see cref="MemoryReactor"/> (Twisted's entries of <c>tcpClients</c>, <c>sslClients</c>,
/// <c>unixClients</c>, and its <c>connectors</c>) and the connector it returned. Nothing connects: the test decides the
/// outcome with <see cref="Accept"/> or <see cref="Fail"/>, and ends a made connection with <see cref="Lose"/>.
/// </summary>
public sealed class MemoryConnector : IConnector
{
    private readonly MemoryReactor _reactor;

    internal MemoryConnector(MemoryReactor reactor, MemoryConnectionKind kind, ClientFactory factory, EndPoint destination)
    {
        _reactor = reactor;
        Kind = kind;
        Factory = factory;
        Destination = destination;
    }

    /// <summary>Which connect call this is.</summary>
    public MemoryConnectionKind Kind { get; }

    /// <summary>The host given (TCP, TLS), else null.</summary>
    public string? Host { get; init; }

    /// <summary>The port given (TCP, TLS).</summary>
    public int Port { get; init; }

    /// <summary>The socket file path given (UNIX), else null.</summary>
    public string? Path { get; init; }

    /// <summary>The timeout given, if any.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The local address given (TCP, TLS), if any.</summary>
    public EndPoint? BindAddress { get; init; }

    /// <summary>The TLS options given (TLS), else null.</summary>
    public TlsClientOptions? TlsOptions { get; init; }

    /// <inheritdoc />
    public ClientFactory Factory { get; }

    /// <summary>The state of the (pretend) attempt.</summary>
    public MemoryConnectorState State { get; private set; } = MemoryConnectorState.Connecting;

    /// <summary>How many times connecting started: 1 for the reactor's call, plus one per <see cref="Connect"/>.</summary>
    public int Attempts { get; private set; } = 1;

    /// <summary>The client protocol once <see cref="Accept"/> made the connection.</summary>
    public IProtocol? Protocol { get; private set; }

    /// <summary>The transport once <see cref="Accept"/> made the connection.</summary>
    public StringTransport? Transport { get; private set; }

    internal EndPoint Destination { get; }

    /// <summary>
    /// Plays a successful connection: builds the client protocol with <see cref="Factory"/> and connects it to
    /// <paramref name="transport"/> (a new <see cref="StringTransport"/> whose peer is the destination, when null).
    /// </summary>
    /// <returns>The client protocol.</returns>
    /// <exception cref="InvalidOperationException">The connector is not connecting.</exception>
    /// <exception cref="NoProtocolException">The factory built no protocol.</exception>
    public IProtocol Accept(StringTransport? transport = null)
    {
        ThrowIfNotConnecting();
        transport ??= new StringTransport(null, Destination);
        var protocol = Factory.BuildProtocol(transport.PeerAddress) ?? throw new NoProtocolException();
        State = MemoryConnectorState.Connected;
        Protocol = protocol;
        Transport = transport;
        _reactor.AddConnection(transport);
        protocol.MakeConnection(transport);
        return protocol;
    }

    /// <summary>Plays a failed attempt: the factory's <see cref="ClientFactory.ClientConnectionFailed"/> gets <paramref name="reason"/>.</summary>
    /// <exception cref="InvalidOperationException">The connector is not connecting.</exception>
    public void Fail(Exception reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        ThrowIfNotConnecting();
        State = MemoryConnectorState.Disconnected;
        Factory.ClientConnectionFailed(this, new Failure(reason));
    }

    /// <summary>
    /// Plays the loss of a made connection: the protocol's <see cref="IProtocol.ConnectionLost"/>, then the factory's
    /// <see cref="ClientFactory.ClientConnectionLost"/>, get <paramref name="reason"/> (a clean close,
    /// <see cref="ConnectionDoneException"/>, when null).
    /// </summary>
    /// <exception cref="InvalidOperationException">The connector is not connected.</exception>
    public void Lose(Exception? reason = null)
    {
        if (State != MemoryConnectorState.Connected || Protocol is null)
        {
            throw new InvalidOperationException($"{this} is not connected.");
        }
        State = MemoryConnectorState.Disconnected;
        var failure = new Failure(reason ?? new ConnectionDoneException());
        Transport?.AbortConnection();
        Protocol.ConnectionLost(failure);
        Factory.ClientConnectionLost(this, failure);
    }

    /// <summary>Starts connecting again (after a failure or loss), as a reconnecting factory does.</summary>
    public void Connect()
    {
        State = MemoryConnectorState.Connecting;
        Attempts++;
        Protocol = null;
        Transport = null;
        Factory.StartedConnecting(this);
    }

    /// <summary>Closes the made connection's transport, or stops connecting.</summary>
    public void Disconnect()
    {
        if (State == MemoryConnectorState.Connected)
        {
            Transport?.LoseConnection();
        }
        else if (State == MemoryConnectorState.Connecting)
        {
            StopConnecting();
        }
    }

    /// <summary>Stops the attempt: the factory's <see cref="ClientFactory.ClientConnectionFailed"/> gets a <see cref="ConnectingCancelledException"/>.</summary>
    /// <exception cref="NotConnectingException">The connector is not connecting.</exception>
    public void StopConnecting()
    {
        if (State != MemoryConnectorState.Connecting)
        {
            throw new NotConnectingException();
        }
        State = MemoryConnectorState.Disconnected;
        Factory.ClientConnectionFailed(this, new Failure(new ConnectingCancelledException(Destination)));
    }

    /// <inheritdoc />
    public EndPoint GetDestination() => Destination;

    /// <inheritdoc />
    public override string ToString() => $"<MemoryConnector {Kind} to {Destination}: {State}>";

    private void ThrowIfNotConnecting()
    {
        if (State != MemoryConnectorState.Connecting)
        {
            throw new InvalidOperationException($"{this} is not connecting.");
        }
    }
}

/// <summary>The state of a <see cref="MemoryConnector"/>.</summary>
public enum MemoryConnectorState
{
    /// <summary>Connecting: the test has not decided the outcome yet.</summary>
    Connecting,

    /// <summary>Connected by <see cref="MemoryConnector.Accept"/>.</summary>
    Connected,

    /// <summary>Failed, stopped, or lost.</summary>
    Disconnected,
}
