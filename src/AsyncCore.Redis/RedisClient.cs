using AsyncCore.Reactor;
using StackExchange.Redis;

namespace AsyncCore.Redis;

/// <summary>
/// A Redis client whose replies are Deferreds fired on the reactor thread. It wraps a StackExchange.Redis
/// <see cref="ConnectionMultiplexer"/> (which does the protocol, the pipelining and the reconnection) and hands each
/// completion over to the reactor in batches, in the order the commands were issued. Call its members on the reactor
/// thread, as for every Deferred.
/// </summary>
/// <remarks>
/// Keys and values are StackExchange.Redis's <see cref="RedisKey"/> and <see cref="RedisValue"/>, which convert
/// implicitly from <see cref="string"/>, numbers and byte arrays; a missing value is <see cref="RedisValue.Null"/>,
/// which converts to a <see langword="null"/> string.
/// </remarks>
public sealed partial class RedisClient : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly IDatabase _database;
    private readonly ISubscriber _subscriber;
    private readonly ReplyPump _pump;
    private Deferred<object?>? _closed;

    private RedisClient(ConnectionMultiplexer multiplexer, ReplyPump pump)
    {
        _multiplexer = multiplexer;
        _pump = pump;
        _database = multiplexer.GetDatabase();
        _subscriber = multiplexer.GetSubscriber();
        // The multiplexer raises its events on its own threads; they are re-raised on the reactor thread.
        multiplexer.ConnectionFailed += (_, e) => _pump.Post(() => ConnectionFailed?.Invoke(this, e));
        multiplexer.ConnectionRestored += (_, e) => _pump.Post(() => ConnectionRestored?.Invoke(this, e));
    }

    /// <summary>Raised on the reactor thread when a connection to a server is lost or cannot be made.</summary>
    public event EventHandler<ConnectionFailedEventArgs>? ConnectionFailed;

    /// <summary>Raised on the reactor thread when the multiplexer has reconnected to a server.</summary>
    public event EventHandler<ConnectionFailedEventArgs>? ConnectionRestored;

    /// <summary>The underlying multiplexer, for what this client does not wrap. Its tasks complete off the reactor thread.</summary>
    public IConnectionMultiplexer Multiplexer => _multiplexer;

    /// <summary>Whether the multiplexer is connected to a server now.</summary>
    public bool IsConnected => _multiplexer.IsConnected;

    /// <summary>Commands issued whose replies have not been delivered yet.</summary>
    public int InFlight => _pump.InFlight;

    internal long HandOvers => _pump.HandOvers;

    /// <summary>
    /// Connects to Redis with a StackExchange.Redis configuration string (for example
    /// <c>"localhost:6379,defaultDatabase=3"</c>); fires on the reactor thread with the client, or with the connection
    /// error.
    /// </summary>
    public static Deferred<RedisClient> Connect(IReactorThreads reactor, string configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Connect(reactor, ConfigurationOptions.Parse(configuration));
    }

    /// <summary>Connects to Redis with parsed <paramref name="options"/>; fires on the reactor thread.</summary>
    public static Deferred<RedisClient> Connect(IReactorThreads reactor, ConfigurationOptions options)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        ArgumentNullException.ThrowIfNull(options);
        var pump = new ReplyPump(reactor);
        var connected = new Deferred<RedisClient>();
        // ConnectAsync does real work before its first await (configuration, sockets, the first JIT): off the reactor.
        Task.Run(() => ConnectionMultiplexer.ConnectAsync(options)).ContinueWith(
            task => pump.Post(() =>
            {
                if (task.IsCompletedSuccessfully)
                {
                    connected.Callback(new RedisClient(task.Result, pump));
                }
                else
                {
                    connected.Errback(task.Exception?.InnerException ?? new OperationCanceledException("The Redis connection was cancelled."));
                }
            }),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return connected;
    }

    /// <summary>
    /// Closes the client: new commands are refused at once, the commands in flight are answered first, then the
    /// connections are closed. Fires on the reactor thread; calling it again returns the same close.
    /// </summary>
    public Deferred<object?> CloseAsync()
    {
        if (_closed is { } closing)
        {
            return Chained(closing);
        }
        var closed = new Deferred<object?>();
        _closed = closed;
        _pump.WhenIdle().AddCallback(_ =>
        {
            // Closing and disposing the multiplexer waits for its threads: off the reactor too.
            Task.Run(async () =>
            {
                await _multiplexer.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
                await _multiplexer.DisposeAsync().ConfigureAwait(false);
            }).ContinueWith(
                task => _pump.Post(() =>
                {
                    if (task.IsFaulted)
                    {
                        closed.Errback(task.Exception!.InnerException!);
                    }
                    else
                    {
                        closed.Callback(null);
                    }
                }),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        });
        return Chained(closed);
    }

    /// <summary>
    /// Starts a MULTI/EXEC transaction: add conditions and commands to it, then <see cref="RedisTransaction.Execute"/>.
    /// </summary>
    public RedisTransaction CreateTransaction()
    {
        ObjectDisposedException.ThrowIf(_closed is not null, this);
        return new RedisTransaction(this, _database.CreateTransaction());
    }

    /// <summary>Closes the client (<see cref="CloseAsync"/>) and completes once it is closed.</summary>
    public ValueTask DisposeAsync() => new(CloseAsync().AsTask());

    // Each caller gets its own Deferred, so that one caller's callbacks do not change what another one sees.
    private static Deferred<object?> Chained(Deferred<object?> source)
    {
        var copy = new Deferred<object?>();
        source.AddCallbacks<object?>(
            v =>
            {
                copy.Callback(v);
                return v;
            },
            f =>
            {
                copy.Errback(f);
                return (object?)null;
            });
        return copy;
    }

    internal Deferred<T> Track<TRaw, T>(Func<IDatabase, Task<TRaw>> command, Func<TRaw, T> map)
    {
        if (_closed is not null)
        {
            return Deferred.Fail<T>(new ObjectDisposedException(nameof(RedisClient), "The Redis client is closed."));
        }
        Task<TRaw> task;
        try
        {
            task = command(_database);
        }
        catch (Exception e) when (e is RedisException or ArgumentException or InvalidOperationException)
        {
            return Deferred.Fail<T>(e);
        }
        return _pump.Track(task, map);
    }

    private Deferred<T> Track<T>(Func<IDatabase, Task<T>> command) => Track(command, static v => v);
}
