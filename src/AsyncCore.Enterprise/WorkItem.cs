using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace AsyncCore.Enterprise;

/// <summary>One call on the pool: what to run on a connection, and the Deferred fired with its outcome on the reactor thread.</summary>
internal abstract class WorkItem
{
    /// <summary>True when the call runs in an explicit transaction (interactions); queries and operations autocommit.</summary>
    public abstract bool Transactional { get; }

    /// <summary>True when the call runs user code that blocks (a synchronous interaction): never on the reactor thread.</summary>
    public virtual bool Blocking => false;

    /// <summary>The explicit transaction the call runs in, while it runs (a transactional call may replace it).</summary>
    public DbTransaction? ActiveTransaction { get; set; }

    /// <summary>Runs the call on <paramref name="slot"/> and stores the outcome. Never throws.</summary>
    public abstract ValueTask ExecuteAsync(ConnectionSlot slot, bool async);

    /// <summary>Stores a failure without running (pool closed before the call could run).</summary>
    public abstract void SetError(Exception error);

    /// <summary>Fires the Deferred with the stored outcome. Reactor thread only.</summary>
    public abstract void Fire();
}

/// <summary>A call whose result is a <typeparamref name="T"/>.</summary>
internal abstract class WorkItem<T> : WorkItem
{
    private T? _result;
    private Exception? _error;

    public Deferred<T> Deferred { get; } = new();

    public override ValueTask ExecuteAsync(ConnectionSlot slot, bool async) => slot.ExecuteAsync(this, async);

    /// <summary>The body, run on <paramref name="slot"/> inside <paramref name="transaction"/> (null: autocommit).</summary>
    public abstract ValueTask<T> RunAsync(ConnectionSlot slot, DbTransaction? transaction, bool async);

    public void SetResult(T result) => _result = result;

    public override void SetError(Exception error) => _error = error;

    public override void Fire()
    {
        if (_error is { } error)
        {
            Deferred.Errback(new Failure(error));
        }
        else
        {
            Deferred.Callback(_result!);
        }
    }
}

internal sealed class QueryItem(string sql, IReadOnlyList<object?> args) : WorkItem<IReadOnlyList<Row>>
{
    public override bool Transactional => false;

    public override async ValueTask<IReadOnlyList<Row>> RunAsync(ConnectionSlot slot, DbTransaction? transaction, bool async) =>
        await slot.QueryAsync(sql, args, transaction, async, CancellationToken.None).ConfigureAwait(false);
}

internal sealed class MappedQueryItem<[DynamicallyAccessedMembers(RowMapper<object>.Members)] TRow>(string sql, IReadOnlyList<object?> args)
    : WorkItem<IReadOnlyList<TRow>>
{
    public override bool Transactional => false;

    public override async ValueTask<IReadOnlyList<TRow>> RunAsync(ConnectionSlot slot, DbTransaction? transaction, bool async) =>
        await slot.QueryAsync<TRow>(sql, args, transaction, async, CancellationToken.None).ConfigureAwait(false);
}

internal sealed class OperationItem(string sql, IReadOnlyList<object?> args) : WorkItem<int>
{
    public override bool Transactional => false;

    public override ValueTask<int> RunAsync(ConnectionSlot slot, DbTransaction? transaction, bool async) =>
        slot.ExecuteNonQueryAsync(sql, args, transaction, async, CancellationToken.None);
}

internal sealed class InteractionItem<T>(Func<Transaction, T> interaction) : WorkItem<T>
{
    public override bool Transactional => true;

    public override bool Blocking => true;

    public override ValueTask<T> RunAsync(ConnectionSlot slot, DbTransaction? transaction, bool async)
    {
        // The interaction is synchronous user code: it uses the provider's synchronous API whatever the pool's mode.
        var txn = new Transaction(slot, transaction!);
        try
        {
            return new ValueTask<T>(interaction(txn));
        }
        finally
        {
            txn.Complete();
        }
    }
}

internal sealed class AsyncInteractionItem<T>(Func<Transaction, CancellationToken, Task<T>> interaction, CancellationToken cancellationToken)
    : WorkItem<T>
{
    public override bool Transactional => true;

    public override async ValueTask<T> RunAsync(ConnectionSlot slot, DbTransaction? transaction, bool async)
    {
        var txn = new Transaction(slot, transaction!, cancellationToken);
        try
        {
            return await interaction(txn, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            txn.Complete();
        }
    }
}

internal sealed class ConnectionItem<T>(Func<PooledConnection, T> function) : WorkItem<T>
{
    public override bool Transactional => true;

    public override bool Blocking => true;

    public override ValueTask<T> RunAsync(ConnectionSlot slot, DbTransaction? transaction, bool async)
    {
        var connection = new PooledConnection(slot.Connection!, this);
        try
        {
            return new ValueTask<T>(function(connection));
        }
        finally
        {
            connection.Complete();
        }
    }
}
