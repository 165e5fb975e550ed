using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace AsyncCore.Enterprise;

/// <summary>One call on the pool: what to run on a connection, and the Deferred fired with its outcome on the reactor thread.</summary>
/// <remarks>
/// <para>
/// A call is queued, then running, then finishing (its outcome is settled: committing, then handed to the reactor), or
/// detached: its Deferred was cancelled, or it timed out or outlived the shutdown grace period, and whatever it still
/// does is thrown away (a transaction is rolled back, never committed). The worker and the reactor thread race for these
/// transitions with compare-and-swap, so exactly one of them decides how the Deferred fires.
/// </para>
/// <para>
/// Separately, the watchdog may <em>abandon</em> the connection a call runs on (<see cref="TryAbandon"/>): the executor
/// then stops counting that connection and starts another, and when the call finally returns its connection is closed,
/// not reused. The worker claims its connection back when the call returns (<see cref="TryKeepSlot"/>); whichever comes
/// first wins.
/// </para>
/// </remarks>
internal abstract class WorkItem
{
    private const int Queued = 0;
    private const int Running = 1;
    private const int Finishing = 2;
    private const int Detached = 3;

    private int _state;
    // 0: undecided; 1: the watchdog abandoned the connection; 2: the worker kept it.
    private int _slotClaim;

    /// <summary>True when the call runs in an explicit transaction (interactions); queries and operations autocommit.</summary>
    public abstract bool Transactional { get; }

    /// <summary>True when the call runs user code that blocks (a synchronous interaction): never on the reactor thread.</summary>
    public virtual bool Blocking => false;

    /// <summary>The explicit transaction the call runs in, while it runs (a transactional call may replace it).</summary>
    public DbTransaction? ActiveTransaction { get; set; }

    /// <summary>When the call started running (<see cref="Stopwatch.GetTimestamp"/>), for the call timeout.</summary>
    public long StartedAt { get; private set; }

    /// <summary>True once the call is running or has run (a worker took it).</summary>
    public bool HasStarted => Volatile.Read(ref _state) != Queued;

    /// <summary>True when the outcome is settled and the worker hands it to the reactor thread.</summary>
    public bool IsFinishing => Volatile.Read(ref _state) == Finishing;

    /// <summary>True when the call was detached: its Deferred fired (or fires) without the call's outcome.</summary>
    public bool IsDetached => Volatile.Read(ref _state) == Detached;

    /// <summary>
    /// Worker: claims a queued call to run it, <paramref name="now"/> (<see cref="Stopwatch.GetTimestamp"/>) being when it
    /// starts; false when it was cancelled while queued (it must not run).
    /// </summary>
    public bool TryStart(long now)
    {
        StartedAt = now;
        return Interlocked.CompareExchange(ref _state, Running, Queued) == Queued;
    }

    /// <summary>Worker: settles the outcome (before a commit); false when the call was detached meanwhile.</summary>
    public bool TryFinish() => Interlocked.CompareExchange(ref _state, Finishing, Running) == Running;

    /// <summary>
    /// Reactor thread: detaches a queued or running call (cancelled, timed out, shut down). Returns true when it was
    /// queued or running: the caller then fires the Deferred (or lets <see cref="Deferred.Cancel"/> do it), and the
    /// worker, if any, throws its outcome away.
    /// </summary>
    public bool TryDetach()
    {
        var state = Volatile.Read(ref _state);
        while (state is Queued or Running)
        {
            var seen = Interlocked.CompareExchange(ref _state, Detached, state);
            if (seen == state)
            {
                if (state == Running)
                {
                    OnDetachedWhileRunning();
                }
                return true;
            }
            state = seen;
        }
        return false;
    }

    /// <summary>Reactor thread: abandons the connection the call runs on; false when the worker already kept it.</summary>
    public bool TryAbandon() => Interlocked.CompareExchange(ref _slotClaim, 1, 0) == 0;

    /// <summary>Worker, once the call returned: keeps its connection; false when it was abandoned (close it and stop).</summary>
    public bool TryKeepSlot() => Interlocked.CompareExchange(ref _slotClaim, 2, 0) != 1;

    /// <summary>Reactor thread: the call was detached while running (trip its cancellation token).</summary>
    protected virtual void OnDetachedWhileRunning()
    {
    }

    /// <summary>
    /// Runs the call on <paramref name="slot"/>, started at <paramref name="now"/>, and stores the outcome; true when it
    /// is to be delivered. Never throws.
    /// </summary>
    public abstract ValueTask<bool> ExecuteAsync(ConnectionSlot slot, bool async, long now);

    /// <summary>
    /// <see cref="ExecuteAsync"/> on a worker thread, which the call holds until it completes (only the bodies of
    /// <c>RunInteractionAsync</c> really await).
    /// </summary>
    public virtual bool Execute(ConnectionSlot slot, long now)
    {
        var run = ExecuteAsync(slot, async: false, now);
        return run.IsCompleted ? run.Result : run.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Stores a failure without running (pool closed before the call could run).</summary>
    public abstract void SetError(Exception error);

    /// <summary>Fires the Deferred with the stored outcome, unless it already fired (cancelled). Reactor thread only.</summary>
    public abstract void Fire();

    /// <summary>Fails the Deferred now unless it already fired (a detached call). Reactor thread only.</summary>
    public abstract void FailNow(Exception error);
}

/// <summary>A call whose result is a <typeparamref name="T"/>.</summary>
internal abstract class WorkItem<T> : WorkItem
{
    private T? _result;
    private Exception? _error;

    private readonly CallDeferred<T> _deferred;

    // Cancelling a queued call detaches it so that it never runs; a running one is detached too: its outcome is thrown
    // away and its transaction rolled back. Either way the Deferred then fails with CancelledException.
    protected WorkItem() => _deferred = new CallDeferred<T>(this);

    public Deferred<T> Deferred => _deferred;

    public override ValueTask<bool> ExecuteAsync(ConnectionSlot slot, bool async, long now) => slot.ExecuteAsync(this, async, now);

    /// <summary>The body, run on <paramref name="slot"/> inside <paramref name="transaction"/> (null: autocommit).</summary>
    public abstract ValueTask<T> RunAsync(ConnectionSlot slot, DbTransaction? transaction, bool async);

    public void SetResult(T result) => _result = result;

    public override void SetError(Exception error) => _error = error;

    public override void Fire()
    {
        var deferred = _deferred;
        if (deferred.Called)
        {
            return;
        }
        deferred.ReleaseCall();
        if (_error is { } error)
        {
            deferred.Errback(new Failure(error));
        }
        else
        {
            deferred.Callback(_result!);
        }
    }

    public override void FailNow(Exception error)
    {
        var deferred = _deferred;
        if (!deferred.Called)
        {
            deferred.ReleaseCall();
            deferred.Errback(new Failure(error));
        }
    }
}

/// <summary>
/// One statement in autocommit mode (<c>RunQuery</c>, <c>RunOperation</c>): no transaction and no user code, so a worker
/// thread can run it through <see cref="ConnectionSlot.Execute{T}(AutocommitItem{T}, long)"/>, the synchronous path without async state machines.
/// </summary>
internal abstract class AutocommitItem<T> : WorkItem<T>
{
    public sealed override bool Transactional => false;

    /// <summary>Runs the statement with the provider's synchronous API (a worker thread).</summary>
    public abstract T Run(ConnectionSlot slot);

    public sealed override bool Execute(ConnectionSlot slot, long now) => slot.Execute(this, now);

    /// <summary>Runs the statement with the provider's async API.</summary>
    protected abstract ValueTask<T> RunAsync(ConnectionSlot slot);

    public sealed override ValueTask<T> RunAsync(ConnectionSlot slot, DbTransaction? transaction, bool async) =>
        async ? RunAsync(slot) : new ValueTask<T>(Run(slot));
}

internal sealed class QueryItem(string sql, IReadOnlyList<object?> args) : AutocommitItem<IReadOnlyList<Row>>
{
    public override IReadOnlyList<Row> Run(ConnectionSlot slot) => slot.Query(sql, args, null);

    protected override async ValueTask<IReadOnlyList<Row>> RunAsync(ConnectionSlot slot) =>
        await slot.QueryAsync(sql, args, null, async: true, CancellationToken.None).ConfigureAwait(false);
}

internal sealed class MappedQueryItem<[DynamicallyAccessedMembers(RowMapper<object>.Members)] TRow>(string sql, IReadOnlyList<object?> args)
    : AutocommitItem<IReadOnlyList<TRow>>
{
    public override IReadOnlyList<TRow> Run(ConnectionSlot slot) => slot.Query<TRow>(sql, args, null);

    protected override async ValueTask<IReadOnlyList<TRow>> RunAsync(ConnectionSlot slot) =>
        await slot.QueryAsync<TRow>(sql, args, null, async: true, CancellationToken.None).ConfigureAwait(false);
}

internal sealed class OperationItem(string sql, IReadOnlyList<object?> args) : AutocommitItem<int>
{
    public override int Run(ConnectionSlot slot) => slot.ExecuteNonQuery(sql, args, null);

    protected override ValueTask<int> RunAsync(ConnectionSlot slot) =>
        slot.ExecuteNonQueryAsync(sql, args, null, async: true, CancellationToken.None);
}

// The token source is never disposed: it has no timer, and the only registration on another token (the caller's) is
// disposed when the interaction returns; disposing it could race with a cancel from the reactor thread.
#pragma warning disable CA1001
internal sealed class InteractionItem<T>(Func<Transaction, T> interaction) : WorkItem<T>
#pragma warning restore CA1001
{
    private readonly CancellationTokenSource _cancel = new();

    public override bool Transactional => true;

    public override bool Blocking => true;

    public override ValueTask<T> RunAsync(ConnectionSlot slot, DbTransaction? transaction, bool async)
    {
        // The interaction is synchronous user code: it uses the provider's synchronous API whatever the pool's mode.
        var txn = new Transaction(slot, transaction!, _cancel.Token);
        var caller = PoolCaller.Enter(slot.Pool);
        try
        {
            return new ValueTask<T>(interaction(txn));
        }
        finally
        {
            caller.Exit();
            txn.Complete();
        }
    }

    protected override void OnDetachedWhileRunning() => _ = _cancel.CancelAsync();
}

#pragma warning disable CA1001 // As InteractionItem: the token source is never disposed.
internal sealed class AsyncInteractionItem<T>(Func<Transaction, CancellationToken, Task<T>> interaction, CancellationToken cancellationToken)
    : WorkItem<T>
#pragma warning restore CA1001
{
    private readonly CancellationTokenSource _cancel = new();

    public override bool Transactional => true;

    public override async ValueTask<T> RunAsync(ConnectionSlot slot, DbTransaction? transaction, bool async)
    {
        // The interaction's token trips when the caller's does, and when the call is cancelled or times out.
        using var linked = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _cancel);
        var token = _cancel.Token;
        var txn = new Transaction(slot, transaction!, token);
        var caller = PoolCaller.Enter(slot.Pool);
        try
        {
            return await interaction(txn, token).ConfigureAwait(false);
        }
        finally
        {
            caller.Exit();
            txn.Complete();
        }
    }

    // CancelAsync: the token's callbacks (a provider's cancel request may open a connection) run off the reactor thread.
    protected override void OnDetachedWhileRunning() => _ = _cancel.CancelAsync();
}

internal sealed class ConnectionItem<T>(Func<PooledConnection, T> function) : WorkItem<T>
{
    public override bool Transactional => true;

    public override bool Blocking => true;

    public override ValueTask<T> RunAsync(ConnectionSlot slot, DbTransaction? transaction, bool async)
    {
        var connection = new PooledConnection(slot.Connection!, this);
        var caller = PoolCaller.Enter(slot.Pool);
        try
        {
            return new ValueTask<T>(function(connection));
        }
        finally
        {
            caller.Exit();
            connection.Complete();
        }
    }
}
