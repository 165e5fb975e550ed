using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using AsyncCore.Reactor;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Enterprise;

/// <summary>
/// Twisted's <c>adbapi.ConnectionPool</c> over ADO.NET: database calls that return at once with a
/// <see cref="Deferred{T}"/> fired on the reactor thread, while the work runs on the pool's own bounded worker threads
/// (one connection per thread, as adbapi) or, in <see cref="PoolMode.Async"/>, on the provider's async I/O.
/// </summary>
/// <remarks>
/// <para>
/// The pool starts when the reactor runs (or at once if it already runs) and closes itself in the reactor's "before
/// shutdown" phase, so a program that forgets <see cref="Close"/> still stops cleanly. Calls made before the start wait;
/// calls made after <see cref="Close"/> fail at once with <see cref="ConnectionPoolClosedException"/>.
/// </para>
/// <para>
/// Call <c>Run*</c>, <see cref="Start"/> and <see cref="Close"/> on the reactor thread (or before the reactor runs):
/// Deferreds are not thread-safe. From another thread they throw <see cref="InvalidOperationException"/>; from inside an
/// interaction, use the <see cref="Transaction"/> it receives. An interaction that waits (<c>BlockingCallFromThread</c>)
/// for a call on its own pool when every connection is held by such a waiting interaction gets a failed call instead of
/// a deadlock.
/// </para>
/// <para>
/// Cancelling a call's Deferred before the call starts removes it (it never runs); cancelling it while it runs throws
/// its outcome away and rolls its transaction back (an autocommit statement may still have taken effect), and trips the
/// cancellation token of the interaction. See <see cref="ConnectionPoolOptions.CallTimeout"/> and
/// <see cref="ConnectionPoolOptions.ShutdownGracePeriod"/> for calls that never return.
/// </para>
/// <para>
/// <see cref="RunQuery(string, object?[])"/> and <see cref="RunOperation(string, object?[])"/> run one statement in
/// autocommit mode (the statement is its own transaction, which is what adbapi's commit after one statement amounts to);
/// interactions and <see cref="RunWithConnection{T}(Func{PooledConnection, T})"/> run in an explicit transaction.
/// </para>
/// </remarks>
public sealed class ConnectionPool : IAsyncDisposable
{
    private static int s_count;

    private readonly Func<DbConnection> _connect;
    private readonly IReactor _reactor;
    private readonly IExecutor _executor;
    private readonly List<Deferred<object?>> _closeWaiters = [];
    // Finished calls waiting for the reactor thread, handed over in batches: one CallFromThread per batch, not per call.
    private readonly System.Collections.Concurrent.ConcurrentQueue<WorkItem> _finished = new();
    private readonly Action _fireFinished;
    private int _fireScheduled;
    private SystemEventTrigger? _shutdownTrigger;
    private IDelayedCall? _watchdog;
    private IDelayedCall? _graceTimer;
    // Interactions waiting (BlockingCallFromThread) for a call they submitted to this pool. Reactor thread only.
    private int _blockedCallers;
    private long _lostGeneration;
    private bool _started;
    private bool _closing;
    private bool _closed;

    /// <summary>Creates a pool opening connections from <paramref name="factory"/> with <paramref name="connectionString"/>.</summary>
    /// <param name="factory">The provider, for example <c>SqliteFactory.Instance</c>, <c>NpgsqlFactory.Instance</c>, <c>MySqlConnectorFactory.Instance</c>.</param>
    /// <param name="connectionString">The provider's connection string.</param>
    /// <param name="reactor">The reactor: results are delivered on its thread.</param>
    /// <param name="options">Twisted's <c>cp_*</c> settings; defaults when null.</param>
    public ConnectionPool(DbProviderFactory factory, string connectionString, IReactor reactor, ConnectionPoolOptions? options = null)
        : this(Connector(factory, connectionString), reactor, options)
    {
    }

    /// <summary>Creates a pool opening connections from <paramref name="dataSource"/> (for example an <c>NpgsqlDataSource</c>).</summary>
    /// <param name="dataSource">The data source.</param>
    /// <param name="reactor">The reactor: results are delivered on its thread.</param>
    /// <param name="options">Twisted's <c>cp_*</c> settings; defaults when null.</param>
    public ConnectionPool(DbDataSource dataSource, IReactor reactor, ConnectionPoolOptions? options = null)
        : this(dataSource is null ? throw new ArgumentNullException(nameof(dataSource)) : dataSource.CreateConnection, reactor, options)
    {
    }

    /// <summary>Creates a pool opening connections made by <paramref name="connect"/> (not yet open).</summary>
    /// <param name="connect">Makes a new, closed connection.</param>
    /// <param name="reactor">The reactor: results are delivered on its thread.</param>
    /// <param name="options">Twisted's <c>cp_*</c> settings; defaults when null.</param>
    public ConnectionPool(Func<DbConnection> connect, IReactor reactor, ConnectionPoolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connect);
        ArgumentNullException.ThrowIfNull(reactor);
        _connect = connect;
        _reactor = reactor;
        Options = (options ?? new ConnectionPoolOptions()).Validated();
        Name = Options.Name ?? "ConnectionPool-" + Interlocked.Increment(ref s_count).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Logger = Options.Logger ?? AsyncCoreLogging.CreateLogger("AsyncCore.Enterprise.ConnectionPool");
        _fireFinished = FireFinished;
        _executor = Options.Mode == PoolMode.Async ? new AsyncExecutor(this) : new WorkerThreads(this);
        // adbapi: reactor.callWhenRunning(self._start), so the pool starts with the reactor, or now if it runs already.
        reactor.CallWhenRunning(() =>
        {
            if (!_closing)
            {
                Start();
            }
        });
    }

    /// <summary>The effective settings (validated copy).</summary>
    public ConnectionPoolOptions Options { get; }

    /// <summary>The pool's name (<see cref="ConnectionPoolOptions.Name"/> or a generated one).</summary>
    public string Name { get; }

    /// <summary>True between <see cref="Start"/> and <see cref="Close"/> (adbapi's <c>running</c>).</summary>
    public bool Running => _started && !_closing;

    /// <summary>True once <see cref="Close"/> (or the reactor's shutdown) has begun closing the pool.</summary>
    public bool Closed => _closing;

    /// <summary>
    /// The effective parameter style, known once the first connection has opened (null before): see <see cref="ParamStyle"/>.
    /// </summary>
    public ParamStyle? EffectiveParamStyle => Provider?.Style;

    internal ILogger Logger { get; }

    internal ProviderInfo? Provider { get; set; }

    internal long LostGeneration => Interlocked.Read(ref _lostGeneration);

    /// <summary>
    /// Starts the worker threads and registers the "before shutdown" trigger that closes the pool. Idempotent; called
    /// by itself when the reactor runs.
    /// </summary>
    public void Start()
    {
        ThrowIfForeignThread();
        if (_started)
        {
            return;
        }
        ObjectDisposedException.ThrowIf(_closing, this);
        _started = true;
        _shutdownTrigger = _reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () =>
        {
            _shutdownTrigger = null;
            return FinalClose();
        });
        _executor.Start();
        ScheduleWatchdog();
    }

    /// <summary>
    /// Closes the pool: removes its shutdown trigger, lets the calls already queued finish, closes every connection on
    /// the thread that used it, and fires the returned Deferred (with null) on the reactor thread when all that is done.
    /// Closing again returns a Deferred that fires when the first close completes. Nothing blocks the reactor thread.
    /// </summary>
    public Deferred<object?> Close()
    {
        ThrowIfForeignThread();
        if (_shutdownTrigger is { } trigger)
        {
            _shutdownTrigger = null;
            _reactor.RemoveSystemEventTrigger(trigger);
        }
        return FinalClose();
    }

    /// <summary>
    /// Closes the pool (<see cref="Close"/>) and completes when the close has finished: the queued calls have run and
    /// every connection is closed. From another thread, the close is handed to the reactor thread; if the reactor has
    /// already stopped running, the pool is closed on the calling thread.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        if (_reactor.IsReactorThread || !_reactor.Running)
        {
            return new ValueTask(Close().AsTask());
        }
        var closing = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        _reactor.CallFromThread(() => closing.SetResult(Close().AsTask()));
        return new ValueTask(closing.Task.Unwrap());
    }

    private Deferred<object?> FinalClose()
    {
        if (_closed)
        {
            return Deferred.Succeed<object?>(null);
        }
        var done = new Deferred<object?>();
        _closeWaiters.Add(done);
        if (!_closing)
        {
            _closing = true;
            if (Options.ShutdownGracePeriod is { } grace && _started)
            {
                _graceTimer = _reactor.CallLater(grace, ForceClose);
            }
            _executor.Close(neverRan => _reactor.CallFromThread(() => OnExecutorClosed(neverRan)));
        }
        return done;
    }

    /// <summary>
    /// The shutdown grace period is over: the calls still running fail (their connections are abandoned), the queued
    /// ones fail without running, and the close completes.
    /// </summary>
    private void ForceClose()
    {
        _graceTimer = null;
        if (_closed)
        {
            return;
        }
        // First the executor: no queued call may start on a connection that replaces an abandoned one.
        _executor.ForceClose();
        var running = DetachRunning(_ => true, () => new ConnectionPoolClosedException(
            $"The connection pool {Name} was closed while the call was still running: the shutdown grace period " +
            $"({Options.ShutdownGracePeriod}) elapsed. Its transaction is rolled back when it returns."));
        Logger.LogWarning("{Pool}: the shutdown grace period elapsed with {Running} call(s) still running; they were failed and their connections abandoned",
            Name, running);
    }

    /// <summary>
    /// Fails the running calls that <paramref name="expired"/> selects and abandons their connections; returns how many.
    /// Reactor thread.
    /// </summary>
    private int DetachRunning(Func<WorkItem, bool> expired, Func<Exception> error)
    {
        var count = 0;
        foreach (var slot in _executor.Slots())
        {
            // A call cancelled while running is detached already but still holds its connection: abandon that too.
            if (slot.Current is not { } item || item.IsFinishing || !expired(item) || !item.TryAbandon())
            {
                continue;
            }
            count++;
            _executor.Abandon(slot);
            if (item.TryDetach())
            {
                item.FailNow(error());
            }
        }
        return count;
    }

    private void ScheduleWatchdog()
    {
        if (Options.CallTimeout is not { } timeout || _closed)
        {
            return;
        }
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 4, TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerSecond));
        _watchdog = _reactor.CallLater(period, () =>
        {
            _watchdog = null;
            var abandoned = DetachRunning(
                item => Stopwatch.GetElapsedTime(item.StartedAt) >= timeout,
                () => new TimeoutException(
                    $"The call ran for longer than the connection pool {Name}'s CallTimeout ({timeout}): it failed, its " +
                    "transaction is rolled back when it returns, and its connection was abandoned."));
            if (abandoned > 0)
            {
                Logger.LogWarning("{Pool}: {Count} call(s) exceeded CallTimeout ({Timeout}); their connections were abandoned", Name, abandoned, timeout);
            }
            ScheduleWatchdog();
        });
    }

    private void OnExecutorClosed(IReadOnlyList<WorkItem> neverRan)
    {
        _closed = true;
        _graceTimer?.Cancel();
        _graceTimer = null;
        _watchdog?.Cancel();
        _watchdog = null;
        // The cache of rewritten SQL goes with the pool: a closed pool holds no SQL text.
        Provider?.ClearCache();
        // Every call that finished fires before the pool reports closed (its hand-over may still be queued).
        FireUpTo(int.MaxValue);
        foreach (var item in neverRan)
        {
            item.SetError(new ConnectionPoolClosedException($"The connection pool {Name} was closed before the call could run."));
            item.Fire();
        }
        if (Options.Noisy)
        {
            Logger.LogInformation("{Pool} closed", Name);
        }
        var waiters = _closeWaiters.ToArray();
        _closeWaiters.Clear();
        foreach (var waiter in waiters)
        {
            waiter.Callback(null);
        }
    }

    // ------------------------------------------------------------------------------------------------ calls

    /// <summary>
    /// Runs <paramref name="sql"/> and fires with its rows (adbapi's <c>runQuery</c>). Arguments bind per
    /// <see cref="ConnectionPoolOptions.ParamStyle"/>.
    /// </summary>
    public Deferred<IReadOnlyList<Row>> RunQuery(string sql, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return Submit(new QueryItem(sql, args ?? []));
    }

    /// <summary>Runs <paramref name="sql"/> and fires with its rows mapped to <typeparamref name="T"/> (see <see cref="RowMapper{T}"/>).</summary>
    public Deferred<IReadOnlyList<T>> RunQuery<[DynamicallyAccessedMembers(RowMapper<object>.Members)] T>(string sql, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return Submit(new MappedQueryItem<T>(sql, args ?? []));
    }

    /// <summary>Runs a statement that returns no rows and fires with the rows affected (adbapi's <c>runOperation</c>).</summary>
    public Deferred<int> RunOperation(string sql, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return Submit(new OperationItem(sql, args ?? []));
    }

    /// <summary>
    /// Runs <paramref name="interaction"/> on a worker thread with a <see cref="Transaction"/> (adbapi's
    /// <c>runInteraction</c>): commits if it returns and fires with its result; rolls back if it throws and fails with
    /// its exception (a rollback failure is logged, never reported instead).
    /// </summary>
    public Deferred<T> RunInteraction<T>(Func<Transaction, T> interaction)
    {
        ArgumentNullException.ThrowIfNull(interaction);
        return Submit(new InteractionItem<T>(interaction));
    }

    /// <summary>
    /// <see cref="RunInteraction{T}(Func{Transaction, T})"/> passing <paramref name="arg"/> (adbapi's <c>*args</c>)
    /// without a closure.
    /// </summary>
    public Deferred<T> RunInteraction<TArg, T>(Func<Transaction, TArg, T> interaction, TArg arg)
    {
        ArgumentNullException.ThrowIfNull(interaction);
        return Submit(new InteractionItem<T>(txn => interaction(txn, arg)));
    }

    /// <summary>
    /// An interaction written with the provider's async API (<see cref="Transaction.QueryAsync(string, object?[])"/>...),
    /// with the same commit/rollback rules. In thread mode it holds its worker thread until it completes.
    /// </summary>
    public Deferred<T> RunInteractionAsync<T>(Func<Transaction, CancellationToken, Task<T>> interaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(interaction);
        return Submit(new AsyncInteractionItem<T>(interaction, cancellationToken));
    }

    /// <summary>
    /// Runs <paramref name="function"/> with the pooled connection (adbapi's <c>runWithConnection</c>): committed if it
    /// returns, rolled back if it throws.
    /// </summary>
    public Deferred<T> RunWithConnection<T>(Func<PooledConnection, T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Submit(new ConnectionItem<T>(function));
    }

    /// <summary>
    /// A dynamic proxy calling stored functions or procedures by method name: <c>proxy.GetUser("yoen")</c> runs
    /// <c>SELECT * FROM function_get_user(@p0)</c> with the default options. See <see cref="StoredProcedureProxy"/>.
    /// </summary>
    [RequiresDynamicCode(StoredProcedureProxy.DynamicReason)]
    public StoredProcedureProxy StoredProcedures(StoredProcedureOptions? options = null) => new(this, options ?? new StoredProcedureOptions());

    private Deferred<T> Submit<T>(WorkItem<T> item, [CallerMemberName] string? method = null)
    {
        ThrowIfForeignThread(method);
        if (_closing)
        {
            return Deferred.Fail<T>(new ConnectionPoolClosedException($"The connection pool {Name} is closed."));
        }
        // Run by BlockingCallFromThread from user code that holds one of this pool's connections (the worker's execution
        // context flows to the reactor thread): if every connection is held by such waiting code, this call could never
        // start and the worker would wait for ever.
        var caller = PoolCaller.Current is { Active: true } current && ReferenceEquals(current.Pool, this) ? current : null;
        if (caller is not null && _blockedCallers + (caller.Pending == 0 ? 1 : 0) >= Options.Max)
        {
            return Deferred.Fail<T>(new InvalidOperationException(
                $"Deadlock: an interaction on the connection pool {Name} waits (BlockingCallFromThread) for a call on the same " +
                $"pool, and all {Options.Max} of its connections are held by interactions waiting like this, so the call could " +
                "never start. Run the statement on the interaction's own Transaction instead, or raise Max."));
        }
        EnterpriseMetrics.Calls.Add(1);
        var error = _executor.Submit(item);
        if (error is not null)
        {
            return Deferred.Fail<T>(error);
        }
        if (caller is not null)
        {
            CountBlockedCaller(caller, item.Deferred);
        }
        return item.Deferred;
    }

    /// <summary>
    /// Counts <paramref name="caller"/> as waiting for one more call until <paramref name="call"/> fires. Its own method:
    /// in Submit, the closure's captured state would be allocated on every call, not only on the rare ones it serves.
    /// </summary>
    private void CountBlockedCaller<T>(PoolCaller caller, Deferred<T> call)
    {
        if (caller.Pending++ == 0)
        {
            _blockedCallers++;
        }
        call.AddFinally(() =>
        {
            if (--caller.Pending == 0)
            {
                _blockedCallers--;
            }
        });
    }

    /// <summary>
    /// Deferreds and the pool's state belong to the reactor thread: a call from another thread while the reactor runs (in
    /// particular from an interaction, on a worker thread) is a bug that would corrupt them, so it fails at once.
    /// </summary>
    private void ThrowIfForeignThread([CallerMemberName] string? method = null)
    {
        if (_reactor.IsReactorThread)
        {
            return;
        }
        if (PoolCaller.Current is { Active: true })
        {
            throw new InvalidOperationException(
                $"ConnectionPool.{method} was called from inside an interaction, on a worker thread. Use the Transaction " +
                "the interaction receives for more statements; pool calls belong to the reactor thread.");
        }
        if (_reactor.Running)
        {
            throw new InvalidOperationException(
                $"ConnectionPool.{method} was called off the reactor thread. Call the pool on the reactor thread (from " +
                "another thread: reactor.CallFromThread(...) or BlockingCallFromThread(...)).");
        }
    }

    // ------------------------------------------------------------------------------------------------ for slots and executors

    internal DbConnection CreateConnection() => _connect();

    internal bool IsReactorThread => _reactor.IsReactorThread;

    /// <summary>Thread mode: workers asleep waiting for a call (for tests).</summary>
    internal int SleepingWorkers => (_executor as WorkerThreads)?.SleepingWorkers ?? 0;

    /// <summary>
    /// Hands a finished call to the reactor thread, where its Deferred fires. Calls finished while a hand-over is already
    /// scheduled, before its pass begins, ride along with it: the pass fires them in the order they finished.
    /// </summary>
    internal void Deliver(WorkItem item)
    {
        Hold(item);
        Flush();
    }

    /// <summary>
    /// Queues a finished call for the reactor thread without waking it: the next <see cref="Flush"/> (by this thread or
    /// another) or an already scheduled pass fires it. The caller must flush before it waits for anything.
    /// </summary>
    internal void Hold(WorkItem item) => _finished.Enqueue(item);

    /// <summary>Makes sure a reactor pass will fire every call queued so far.</summary>
    internal void Flush()
    {
        // The enqueue in Hold (a full fence) happens before the flag is read here, and FireFinished clears the flag and
        // fences before it counts the queue: whoever goes second sees the other's write, so either this call finds the
        // flag clear and schedules a pass, or the pass that has not cleared it yet counts the call.
        if (Volatile.Read(ref _fireScheduled) == 0 && Interlocked.Exchange(ref _fireScheduled, 1) == 0)
        {
            _reactor.CallFromThread(_fireFinished);
        }
    }

    /// <summary>
    /// Reactor thread: fires the finished calls that were queued when this pass began. Calls finishing meanwhile wait for
    /// the next pass (their <see cref="Flush"/> scheduled it): with the callbacks issuing new calls that finish as fast,
    /// draining until the queue is empty could hold the reactor thread for as long as the load lasts.
    /// </summary>
    private void FireFinished()
    {
        Volatile.Write(ref _fireScheduled, 0);
        Interlocked.MemoryBarrier();
        _executor.BeginDelivery();
        try
        {
            FireUpTo(_finished.Count);
        }
        finally
        {
            _executor.EndDelivery();
        }
    }

    private void FireUpTo(int count)
    {
        for (var i = 0; i < count && _finished.TryDequeue(out var item); i++)
        {
            try
            {
                item.Fire();
            }
#pragma warning disable CA1031 // One call's failure to fire must not strand the others of the batch.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Logger.LogError(e, "{Pool}: firing a call's Deferred failed", Name);
                // Never leave it unfired.
                item.FailNow(e);
            }
        }
    }

    /// <summary>A connection was found lost: every connection opened before is probed before its next use.</summary>
    internal void OnConnectionLost()
    {
        Interlocked.Increment(ref _lostGeneration);
        EnterpriseMetrics.ConnectionsLost.Add(1);
    }

    private static Func<DbConnection> Connector(DbProviderFactory factory, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(connectionString);
        return () =>
        {
            var connection = factory.CreateConnection()
                ?? throw new InvalidOperationException($"{factory.GetType().Name} made no connection.");
            connection.ConnectionString = connectionString;
            return connection;
        };
    }
}
