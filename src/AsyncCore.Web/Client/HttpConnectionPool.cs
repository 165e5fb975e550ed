using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Web.Client;

/// <summary>Where a pooled connection goes: scheme, host and port.</summary>
internal readonly record struct PoolKey(string Scheme, string Host, int Port);

/// <summary>
/// The connections of one or more <see cref="Agent"/>s (Twisted's <c>HTTPConnectionPool</c>): with
/// <see cref="Persistent"/>, a connection whose response allows it is kept after its body has arrived and the next
/// request to the same scheme, host and port reuses it instead of connecting again. Use it on the reactor thread.
/// </summary>
/// <remarks>
/// As in Twisted, <see cref="MaxPersistentPerHost"/> bounds the idle connections kept per host, not the requests in
/// flight: a request that finds no idle connection opens a new one. An idle connection the server closes is dropped
/// from the pool when the close is seen; one that is closed while a request is being sent on it fails that request
/// with <see cref="ResponseNeverReceivedException"/>, and an idempotent request is then retried once on a new
/// connection (<see cref="RetryAutomatically"/>).
/// </remarks>
public sealed class HttpConnectionPool
{
    private readonly INetworkReactor _reactor;
    private readonly Dictionary<PoolKey, List<HttpClientConnection>> _idle = [];
    private readonly HashSet<HttpClientConnection> _open = [];
    private readonly HashSet<HttpClientConnection> _closing = [];
    private List<Deferred<object?>>? _closeWaiters;

    /// <summary>Creates the pool.</summary>
    /// <param name="reactor">The reactor the connections run on.</param>
    /// <param name="persistent">Whether connections are kept for reuse (Twisted's <c>persistent</c>); when false
    /// every request sends <c>Connection: close</c> and gets a connection of its own.</param>
    public HttpConnectionPool(INetworkReactor reactor, bool persistent = true)
    {
        _reactor = reactor ?? throw new ArgumentNullException(nameof(reactor));
        Persistent = persistent;
    }

    /// <summary>Whether connections are kept for reuse.</summary>
    public bool Persistent { get; }

    /// <summary>The most idle connections kept per scheme, host and port (2, as Twisted's
    /// <c>maxPersistentPerHost</c>); a connection released beyond it is closed.</summary>
    public int MaxPersistentPerHost { get; set; } = 2;

    /// <summary>How long an idle connection is kept before the pool closes it (240 s, as Twisted's
    /// <c>cachedConnectionTimeout</c>).</summary>
    public TimeSpan CachedConnectionTimeout { get; set; } = TimeSpan.FromSeconds(240);

    /// <summary>Whether an idempotent request (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) that failed on a reused
    /// connection before any response byte is sent again once on a new connection (Twisted's
    /// <c>retryAutomatically</c>). True by default.</summary>
    public bool RetryAutomatically { get; set; } = true;

    /// <summary>How many connections the pool has opened so far (reused ones count once).</summary>
    public long ConnectionsMade { get; private set; }

    /// <summary>How many connections are open now, idle or busy.</summary>
    public int OpenConnections => _open.Count;

    /// <summary>How many idle connections are kept now.</summary>
    public int CachedConnections => _idle.Values.Sum(list => list.Count);

    /// <summary>
    /// Closes the idle connections (Twisted's <c>closeCachedConnections</c>); the Deferred fires once they are closed.
    /// Busy connections finish their responses and are closed then instead of being kept.
    /// </summary>
    public Deferred<object?> CloseCachedConnections()
    {
        var idle = _idle.Values.SelectMany(list => list).ToList();
        _idle.Clear();
        if (idle.Count == 0)
        {
            return Deferred.Succeed<object?>(null);
        }
        var waiter = new Deferred<object?>();
        (_closeWaiters ??= []).Add(waiter);
        foreach (var connection in idle)
        {
            StopExpiry(connection);
            _closing.Add(connection);
        }
        foreach (var connection in idle)
        {
            connection.Transport.LoseConnection();
        }
        return waiter;
    }

    /// <summary>An idle connection to <paramref name="key"/>, or a new one through <paramref name="endpoint"/>.</summary>
    internal Deferred<HttpClientConnection> GetConnection(PoolKey key, Func<IStreamClientEndpoint> endpoint, TimeSpan? readTimeout)
    {
        if (Persistent && _idle.TryGetValue(key, out var list))
        {
            while (list.Count > 0)
            {
                var cached = list[^1];
                list.RemoveAt(list.Count - 1);
                StopExpiry(cached);
                if (cached.IsIdle)
                {
                    cached.Reused = true;
                    return Deferred.Succeed(cached);
                }
            }
        }
        var connection = new HttpClientConnection(_reactor, this, key, readTimeout);
        return Endpoint.ConnectProtocol(endpoint(), connection).AddCallback(_ =>
        {
            ConnectionsMade++;
            _open.Add(connection);
            return connection;
        });
    }

    /// <summary>The connection answered its request and may take another one.</summary>
    internal void Release(HttpClientConnection connection)
    {
        if (!Persistent || !_idle.TryGetValue(connection.Key, out var list))
        {
            list = null;
        }
        if (!Persistent || (list?.Count ?? 0) >= MaxPersistentPerHost)
        {
            connection.Transport.LoseConnection();
            return;
        }
        if (list is null)
        {
            _idle[connection.Key] = list = [];
        }
        list.Add(connection);
        connection.ExpiryTimer = _reactor.CallLater(CachedConnectionTimeout, () =>
        {
            connection.ExpiryTimer = null;
            if (list.Remove(connection))
            {
                connection.Transport.LoseConnection();
            }
        });
    }

    /// <summary>The connection closed (or never opened): it leaves the pool.</summary>
    internal void ConnectionGone(HttpClientConnection connection)
    {
        StopExpiry(connection);
        if (_idle.TryGetValue(connection.Key, out var list))
        {
            list.Remove(connection);
        }
        _open.Remove(connection);
        if (_closing.Remove(connection) && _closing.Count == 0 && _closeWaiters is { } waiters)
        {
            _closeWaiters = null;
            foreach (var waiter in waiters)
            {
                waiter.Callback(null);
            }
        }
    }

    private static void StopExpiry(HttpClientConnection connection)
    {
        if (connection.ExpiryTimer is { Active: true } timer)
        {
            timer.Cancel();
        }
        connection.ExpiryTimer = null;
    }
}
