using System.Data.Common;

namespace AsyncCore.Enterprise;

/// <summary>
/// The connection handed to <see cref="ConnectionPool.RunWithConnection{T}(Func{PooledConnection, T})"/> (adbapi's
/// <c>Connection</c> wrapper): the raw connection, already in a transaction that is committed when the function returns
/// and rolled back if it throws. <see cref="Close"/> does nothing, so user code cannot close a pooled connection.
/// Valid only during the call, on the thread running it.
/// </summary>
public sealed class PooledConnection
{
    private readonly DbConnection _connection;
    private readonly WorkItem _item;
    private bool _done;

    internal PooledConnection(DbConnection connection, WorkItem item)
    {
        _connection = connection;
        _item = item;
    }

    /// <summary>The provider's connection. Do not close or dispose it.</summary>
    public DbConnection Connection
    {
        get
        {
            ThrowIfDone();
            return _connection;
        }
    }

    /// <summary>The transaction in progress; commands must be enlisted in it (<see cref="CreateCommand"/> does).</summary>
    public DbTransaction CurrentTransaction
    {
        get
        {
            ThrowIfDone();
            return _item.ActiveTransaction!;
        }
    }

    /// <summary>A command on this connection, enlisted in the current transaction.</summary>
    public DbCommand CreateCommand(string? sql = null)
    {
        ThrowIfDone();
        var command = _connection.CreateCommand();
        command.Transaction = _item.ActiveTransaction;
        if (sql is not null)
        {
            command.CommandText = sql;
        }
        return command;
    }

    /// <summary>Commits the work so far and begins a new transaction (DB-API's <c>connection.commit()</c>).</summary>
    public void Commit()
    {
        ThrowIfDone();
        var transaction = _item.ActiveTransaction!;
        transaction.Commit();
        transaction.Dispose();
        _item.ActiveTransaction = _connection.BeginTransaction();
    }

    /// <summary>Rolls back the work so far and begins a new transaction (DB-API's <c>connection.rollback()</c>).</summary>
    public void Rollback()
    {
        ThrowIfDone();
        var transaction = _item.ActiveTransaction!;
        transaction.Rollback();
        transaction.Dispose();
        _item.ActiveTransaction = _connection.BeginTransaction();
    }

    /// <summary>Does nothing: the pool owns the connection (adbapi's <c>Connection.close</c> is a no-op too).</summary>
    public void Close()
    {
    }

    internal void Complete() => _done = true;

    private void ThrowIfDone() =>
        ObjectDisposedException.ThrowIf(_done, this);
}
