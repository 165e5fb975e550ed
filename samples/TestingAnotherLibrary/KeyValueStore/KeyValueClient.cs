using System.Net;
using System.Text;
using AsyncCore;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace KeyValueStore;

/// <summary>
/// The client side: each request returns a Deferred fired with its reply. Requests may be pipelined; replies come back
/// in request order. A request not answered within <see cref="RequestTimeout"/> fails with a <see cref="TimeoutException"/>
/// and the connection is dropped (later replies could no longer be matched to their requests).
/// </summary>
public sealed class KeyValueClient : LineReceiver
{
    private readonly Queue<Deferred<string>> _waiting = new();
    private readonly IReactorTime _clock;
    private Deferred<KeyValueClient>? _whenConnected;

    /// <summary>Creates a client protocol whose timeouts run on <paramref name="clock"/>.</summary>
    public KeyValueClient(IReactorTime clock) => _clock = clock;

    /// <summary>How long a request may wait for its reply.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> and fires with the connected client.</summary>
    public static Deferred<KeyValueClient> Connect(INetworkReactor reactor, string host, int port)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        var client = new KeyValueClient(reactor) { _whenConnected = new Deferred<KeyValueClient>() };
        reactor.ConnectTcp(host, port, new ConnectingFactory(client));
        return client._whenConnected;
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>.</summary>
    public Deferred<bool> Set(string key, string value) =>
        Request($"SET {key} {value}").AddCallback(reply => reply == "OK" ? true : throw new InvalidOperationException(reply));

    /// <summary>Reads <paramref name="key"/>: its value, or null when it is missing.</summary>
    public Deferred<string?> Get(string key) =>
        Request($"GET {key}").AddCallback(reply => reply switch
        {
            "MISSING" => null,
            _ when reply.StartsWith("VALUE ", StringComparison.Ordinal) => reply["VALUE ".Length..],
            _ => throw new InvalidOperationException(reply),
        });

    /// <summary>Closes the connection; requests still waiting fail with <see cref="ConnectionDoneException"/>.</summary>
    public void Close() => Transport.LoseConnection();

    private Deferred<string> Request(string line)
    {
        var reply = new Deferred<string>();
        _waiting.Enqueue(reply);
        SendLine(Encoding.UTF8.GetBytes(line));
        return reply.AddTimeout(RequestTimeout, _clock, (_, timeout) =>
        {
            // A reply that never came: the next reply would be taken for this one's, so the connection must go.
            Transport.LoseConnection();
            throw new TimeoutException($"No reply to \"{line}\" within {timeout}.");
        });
    }

    /// <inheritdoc />
    public override void ConnectionMade() => _whenConnected?.Callback(this);

    /// <inheritdoc />
    protected override void LineReceived(ReadOnlySpan<byte> line)
    {
        if (_waiting.TryDequeue(out var reply) && !reply.Called)
        {
            reply.Callback(Encoding.UTF8.GetString(line));
        }
    }

    /// <inheritdoc />
    public override void ConnectionLost(Failure reason)
    {
        while (_waiting.TryDequeue(out var reply))
        {
            if (!reply.Called)
            {
                reply.Errback(reason);
            }
        }
    }

    private sealed class ConnectingFactory(KeyValueClient client) : ClientFactory
    {
        public override IProtocol? BuildProtocol(EndPoint? address) => client;

        public override void ClientConnectionFailed(IConnector connector, Failure reason) => client._whenConnected!.Errback(reason);
    }
}
