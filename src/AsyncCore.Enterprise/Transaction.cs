using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace AsyncCore.Enterprise;

/// <summary>
/// What an interaction receives (adbapi's <c>Transaction</c>, a cursor in a transaction): run statements, read rows,
/// DB-API style (<see cref="Execute"/> then <see cref="FetchAll"/>) or directly (<see cref="Query"/>). The pool commits
/// when the interaction returns and rolls back if it throws. Valid only during the interaction, on the thread running it.
/// </summary>
/// <remarks>
/// Arguments are bound per the pool's <see cref="ParamStyle"/>; an argument that is a <see cref="NamedArg"/> or a
/// provider <see cref="DbParameter"/> is bound by its name.
/// </remarks>
public sealed class Transaction
{
    private readonly ConnectionSlot _slot;
    private readonly DbTransaction _transaction;
    private IReadOnlyList<Row> _buffer = [];
    private int _next;
    private bool _done;

    internal Transaction(ConnectionSlot slot, DbTransaction transaction, CancellationToken cancellationToken = default)
    {
        _slot = slot;
        _transaction = transaction;
        CancellationToken = cancellationToken;
    }

    /// <summary>The provider's connection, for what this class does not cover. Do not close it or commit on it.</summary>
    public DbConnection Connection
    {
        get
        {
            ThrowIfDone();
            return _slot.Connection!;
        }
    }

    /// <summary>The provider's transaction the interaction runs in.</summary>
    public DbTransaction DbTransaction
    {
        get
        {
            ThrowIfDone();
            return _transaction;
        }
    }

    /// <summary>
    /// Trips when the call's Deferred is cancelled, the call times out (<see cref="ConnectionPoolOptions.CallTimeout"/>)
    /// or the pool's shutdown grace period ends, and, for <c>RunInteractionAsync</c>, when the caller's token does. The
    /// statements run through this transaction observe it; a long interaction may check it too.
    /// </summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Rows affected by the last <see cref="Execute"/> (-1 for a SELECT on most providers: DB-API's <c>rowcount</c>).</summary>
    public int RowCount { get; private set; } = -1;

    /// <summary>The column names of the last <see cref="Execute"/>'s result set (empty when it had none).</summary>
    public IReadOnlyList<string> Columns => _buffer.Count > 0 ? _buffer[0].Columns : [];

    /// <summary>
    /// Runs <paramref name="sql"/> (DB-API's <c>execute</c>): its rows wait for <see cref="FetchOne"/>,
    /// <see cref="FetchMany"/> or <see cref="FetchAll"/>. Returns <see cref="RowCount"/>.
    /// </summary>
    public int Execute(string sql, params object?[] args)
    {
        ThrowIfDone();
        var (rows, affected) = Sync(_slot.ExecuteBufferedAsync(sql, args, _transaction, false, CancellationToken));
        _buffer = rows;
        _next = 0;
        RowCount = affected;
        return affected;
    }

    /// <summary>The next row of the last <see cref="Execute"/>, or null when there is none.</summary>
    public Row? FetchOne() => _next < _buffer.Count ? _buffer[_next++] : null;

    /// <summary>Up to <paramref name="size"/> more rows of the last <see cref="Execute"/>.</summary>
    public IReadOnlyList<Row> FetchMany(int size)
    {
        var count = Math.Clamp(_buffer.Count - _next, 0, size);
        var rows = new Row[count];
        for (var i = 0; i < count; i++)
        {
            rows[i] = _buffer[_next + i];
        }
        _next += count;
        return rows;
    }

    /// <summary>Every remaining row of the last <see cref="Execute"/>.</summary>
    public IReadOnlyList<Row> FetchAll() => FetchMany(int.MaxValue);

    /// <summary>Runs <paramref name="sql"/> and returns its rows.</summary>
    public IReadOnlyList<Row> Query(string sql, params object?[] args)
    {
        ThrowIfDone();
        return _slot.Query(sql, args, _transaction);
    }

    /// <summary>Runs <paramref name="sql"/> and maps its rows to <typeparamref name="T"/> (see <see cref="RowMapper{T}"/>).</summary>
    public IReadOnlyList<T> Query<[DynamicallyAccessedMembers(RowMapper<object>.Members)] T>(string sql, params object?[] args)
    {
        ThrowIfDone();
        return _slot.Query<T>(sql, args, _transaction);
    }

    /// <summary>Runs a statement that returns no rows; returns the rows affected.</summary>
    public int ExecuteNonQuery(string sql, params object?[] args)
    {
        ThrowIfDone();
        return _slot.ExecuteNonQuery(sql, args, _transaction);
    }

    /// <summary>The first column of the first row, converted to <typeparamref name="T"/> (default when there is no row).</summary>
    public T? Scalar<T>(string sql, params object?[] args)
    {
        ThrowIfDone();
        var value = Sync(_slot.ScalarAsync(sql, args, _transaction, false, CancellationToken));
        return value is null ? default : ValueConverter.To<T>(value);
    }

    /// <summary>Runs <paramref name="sql"/> with the provider's async API and returns its rows.</summary>
    public async Task<IReadOnlyList<Row>> QueryAsync(string sql, params object?[] args)
    {
        ThrowIfDone();
        return await _slot.QueryAsync(sql, args, _transaction, true, CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="sql"/> with the provider's async API and maps its rows to <typeparamref name="T"/>.</summary>
    public async Task<IReadOnlyList<T>> QueryAsync<[DynamicallyAccessedMembers(RowMapper<object>.Members)] T>(string sql, params object?[] args)
    {
        ThrowIfDone();
        return await _slot.QueryAsync<T>(sql, args, _transaction, true, CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a statement that returns no rows with the provider's async API; returns the rows affected.</summary>
    public async Task<int> ExecuteNonQueryAsync(string sql, params object?[] args)
    {
        ThrowIfDone();
        return await _slot.ExecuteNonQueryAsync(sql, args, _transaction, true, CancellationToken).ConfigureAwait(false);
    }

    /// <summary>The first column of the first row, with the provider's async API.</summary>
    public async Task<T?> ScalarAsync<T>(string sql, params object?[] args)
    {
        ThrowIfDone();
        var value = await _slot.ScalarAsync(sql, args, _transaction, true, CancellationToken).ConfigureAwait(false);
        return value is null ? default : ValueConverter.To<T>(value);
    }

    /// <summary>A raw command on this connection, enlisted in the transaction, with <paramref name="args"/> bound.</summary>
    public DbCommand CreateCommand(string sql, params object?[] args)
    {
        ThrowIfDone();
        var parsed = _slot.Pool.Provider!.Parse(sql);
        parsed.CheckArguments(args);
        var command = _slot.Connection!.CreateCommand();
        command.CommandText = parsed.Text;
        command.Transaction = _transaction;
        _slot.Pool.Provider.Bind(command, args);
        return command;
    }

    internal void Complete() => _done = true;

    private void ThrowIfDone() => ObjectDisposedException.ThrowIf(_done, this);

    // The synchronous calls above run with async: false, so the ValueTask has always completed.
    private static T Sync<T>(ValueTask<T> task) => task.IsCompleted ? task.GetAwaiter().GetResult() : task.AsTask().GetAwaiter().GetResult();
}
