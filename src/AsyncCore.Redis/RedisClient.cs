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
    private readonly ReplyPump _pump;

    // Null until connected: always set for a client made by Connect, set on first use for one made by ConnectLazily.
    private ConnectionMultiplexer? _multiplexer;
    private IDatabase? _database;
    private ISubscriber? _subscriber;

    // The configuration, for the blocking pops' own connections.
    private readonly ConfigurationOptions _options;

    // A lazy client's configuration, and what waits for its connection while it is being made (reactor thread).
    private readonly ConfigurationOptions? _lazyOptions;
    private List<Action<Exception?>>? _waitingForConnection;
    // Commands issued while a transaction is being written off the reactor thread, in order (HoldCommandsUntil).
    private Queue<Action<Exception?>>? _heldBehindWrite;
    private Deferred<object?>? _closed;

    private RedisClient(ConnectionMultiplexer multiplexer, ConfigurationOptions options, ReplyPump pump)
    {
        _pump = pump;
        _options = options;
        Attach(multiplexer);
    }

    private RedisClient(ConfigurationOptions options, ReplyPump pump)
    {
        _pump = pump;
        _options = options;
        _lazyOptions = options;
    }

    /// <summary>Raised on the reactor thread when a connection to a server is lost or cannot be made.</summary>
    public event EventHandler<ConnectionFailedEventArgs>? ConnectionFailed;

    /// <summary>Raised on the reactor thread when the multiplexer has reconnected to a server.</summary>
    public event EventHandler<ConnectionFailedEventArgs>? ConnectionRestored;

    /// <summary>
    /// The underlying multiplexer, for what this client does not wrap. Over plain TCP its connections are the reactor's
    /// own and its tasks complete on the reactor thread: never call its synchronous methods there, which would wait for a
    /// reply only that thread can read and fail with a timeout (over TLS or a UNIX socket its tasks complete on the
    /// multiplexer's threads). A lazy client (<see cref="ConnectLazily(IReactorThreads, string)"/>) has none until its
    /// first command has connected it: before that this throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public IConnectionMultiplexer Multiplexer =>
        _multiplexer ?? throw new InvalidOperationException("The lazy Redis client has not connected yet: it connects on its first command.");

    /// <summary>Whether the multiplexer is connected to a server now (false for a lazy client not connected yet).</summary>
    public bool IsConnected => _multiplexer?.IsConnected ?? false;

    /// <summary>Commands issued whose replies have not been delivered yet (including those waiting for a lazy connection).</summary>
    public int InFlight => _pump.InFlight;

    internal long HandOvers => _pump.HandOvers;

    internal ReplyPump Pump => _pump;

    internal int ConnectAttempts { get; private set; }

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
        options = options.Clone();
        ReactorTunnel.Apply(options, pump);
        ConnectMultiplexer(pump, options, (multiplexer, error) =>
        {
            if (multiplexer is not null)
            {
                connected.Callback(new RedisClient(multiplexer, options, pump));
            }
            else
            {
                connected.Errback(error!);
            }
        });
        return connected;
    }

    /// <summary>
    /// A client that connects on first use: it is returned at once, without a connection, and its first command (or
    /// subscription) starts connecting. Commands issued meanwhile wait, then are sent in the order they were issued. If
    /// the connection cannot be made, every waiting command fails with the connection error
    /// (<see cref="RedisConnectionException"/>), and the next command tries to connect again.
    /// </summary>
    public static RedisClient ConnectLazily(IReactorThreads reactor, string configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return ConnectLazily(reactor, ConfigurationOptions.Parse(configuration));
    }

    /// <summary>A client that connects on first use, with parsed <paramref name="options"/>; see <see cref="ConnectLazily(IReactorThreads, string)"/>.</summary>
    public static RedisClient ConnectLazily(IReactorThreads reactor, ConfigurationOptions options)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        ArgumentNullException.ThrowIfNull(options);
        var pump = new ReplyPump(reactor);
        options = options.Clone();
        ReactorTunnel.Apply(options, pump);
        return new RedisClient(options, pump);
    }

    // Connects off the reactor (ConnectAsync does real work before its first await: configuration, sockets, the first
    // JIT) and reports on the reactor thread, with the multiplexer or the error.
    private static void ConnectMultiplexer(ReplyPump pump, ConfigurationOptions options, Action<ConnectionMultiplexer?, Exception?> then) =>
        Task.Run(() => ConnectionMultiplexer.ConnectAsync(options)).ContinueWith(
            task => pump.Post(() =>
            {
                if (task.IsCompletedSuccessfully)
                {
                    then(task.Result, null);
                }
                else
                {
                    then(null, task.Exception?.InnerException ?? new OperationCanceledException("The Redis connection was cancelled."));
                }
            }),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private void Attach(ConnectionMultiplexer multiplexer)
    {
        _multiplexer = multiplexer;
        _database = multiplexer.GetDatabase();
        _subscriber = multiplexer.GetSubscriber();
        // The multiplexer raises its events on its own threads; they are re-raised on the reactor thread.
        multiplexer.ConnectionFailed += (_, e) => _pump.Post(() => ConnectionFailed?.Invoke(this, e));
        multiplexer.ConnectionRestored += (_, e) => _pump.Post(() => ConnectionRestored?.Invoke(this, e));
    }

    // Runs then(null) once connected (at once when connected already), or then(error) when the connection failed; the
    // actions run in the order they were registered, on the reactor thread.
    private void WhenConnected(Action<Exception?> then)
    {
        if (_heldBehindWrite is { } held)
        {
            held.Enqueue(then);
            return;
        }
        if (_database is not null)
        {
            then(null);
            return;
        }
        if (_waitingForConnection is { } waiting)
        {
            waiting.Add(then);
            return;
        }
        _waitingForConnection = [then];
        ConnectAttempts++;
        ConnectMultiplexer(_pump, _lazyOptions!, (multiplexer, error) =>
        {
            if (multiplexer is not null)
            {
                Attach(multiplexer);
            }
            var waiters = _waitingForConnection!;
            // Cleared first: after a failure the next command starts a new attempt.
            _waitingForConnection = null;
            foreach (var waiter in waiters)
            {
                waiter(error);
            }
        });
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
        WhenBlockingSettled(() => _pump.WhenIdle().AddCallback(_ =>
        {
            CloseIdleBlockingConnections();
            if (_waitingForConnection is { } waiting)
            {
                // A lazy connection still being made (for a subscription): close what it brings.
                waiting.Add(_ => CloseMultiplexer(closed));
            }
            else
            {
                CloseMultiplexer(closed);
            }
        }));
        return Chained(closed);
    }

    private void CloseMultiplexer(Deferred<object?> closed)
    {
        if (_multiplexer is not { } multiplexer)
        {
            closed.Callback(null);
            return;
        }
        // Closing and disposing the multiplexer waits for its threads: off the reactor too.
        Task.Run(async () =>
            {
                await multiplexer.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
                await multiplexer.DisposeAsync().ConfigureAwait(false);
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
    }

    /// <summary>
    /// Starts a MULTI/EXEC transaction: add conditions and commands to it, then <see cref="RedisTransaction.Execute"/>.
    /// </summary>
    public RedisTransaction CreateTransaction()
    {
        ObjectDisposedException.ThrowIf(_closed is not null, this);
        return new RedisTransaction(this);
    }

    /// <summary>
    /// Starts a batch: queue commands on it (each returns its Deferred), then <see cref="RedisBatch.Execute"/> sends them
    /// together (pipelined, not atomic).
    /// </summary>
    public RedisBatch CreateBatch()
    {
        ObjectDisposedException.ThrowIf(_closed is not null, this);
        return new RedisBatch(this);
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
            return Deferred.Fail<T>(Closed());
        }
        return TrackAlways(command, map);
    }

    // Track without the closed check: for what the client sends on its own while closing (unblocking, pushing back).
    private Deferred<T> TrackAlways<TRaw, T>(Func<IDatabase, Task<TRaw>> command, Func<TRaw, T> map)
    {
        if (_database is not { } database || _heldBehindWrite is not null)
        {
            return _pump.Track(AfterConnecting(command), map);
        }
        Task<TRaw> task;
        try
        {
            task = command(database);
        }
        catch (Exception e) when (e is RedisException or ArgumentException or InvalidOperationException)
        {
            return Deferred.Fail<T>(e);
        }
        return _pump.Track(task, map);
    }

    private Deferred<T> Track<T>(Func<IDatabase, Task<T>> command) => Track(command, static v => v);

    /// <summary>
    /// Reactor thread: <paramref name="written"/> completes once a command being written off the reactor thread is in
    /// the multiplexer's hands (a transaction: see <see cref="RedisTransaction.Execute"/>). Commands issued until then
    /// wait and are issued after it, in order, so that Redis still runs them in the order they were issued.
    /// </summary>
    internal void HoldCommandsUntil(Task written)
    {
        _heldBehindWrite = new Queue<Action<Exception?>>();
        written.ContinueWith(
            static (_, state) =>
            {
                var client = (RedisClient)state!;
                client._pump.Post(client.ReleaseHeldCommands);
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void ReleaseHeldCommands()
    {
        var held = _heldBehindWrite!;
        _heldBehindWrite = null;
        while (held.TryDequeue(out var then))
        {
            // Through WhenConnected: a lazy client's commands still wait for the connection.
            WhenConnected(then);
            if (_heldBehindWrite is { } again)
            {
                // That command was another transaction: the rest wait for it in turn, in order.
                while (held.TryDequeue(out var rest))
                {
                    again.Enqueue(rest);
                }
                return;
            }
        }
    }

    // A lazy client's command issued before the connection is up (or while a transaction is written, above): it takes its
    // place in the pump's order now, and is sent once connected (in issue order, since the waiters run in order), or
    // fails with the connection's error.
    private Task<TRaw> AfterConnecting<TRaw>(Func<IDatabase, Task<TRaw>> command)
    {
        var reply = new TaskCompletionSource<TRaw>(TaskCreationOptions.RunContinuationsAsynchronously);
        WhenConnected(error =>
        {
            if (error is not null)
            {
                reply.SetException(error);
                return;
            }
            try
            {
                command(_database!).ContinueWith(
                    static (task, state) =>
                    {
                        var target = (TaskCompletionSource<TRaw>)state!;
                        if (task.IsCompletedSuccessfully)
                        {
                            target.SetResult(task.Result);
                        }
                        else if (task.IsCanceled)
                        {
                            target.SetCanceled();
                        }
                        else
                        {
                            target.SetException(task.Exception!.InnerExceptions);
                        }
                    },
                    reply,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
            catch (Exception e) when (e is RedisException or ArgumentException or InvalidOperationException)
            {
                reply.SetException(e);
            }
        });
        return reply.Task;
    }

    private static ObjectDisposedException Closed() => new(nameof(RedisClient), "The Redis client is closed.");
}
