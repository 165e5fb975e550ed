using System.Data;
using System.Data.Common;
using System.Diagnostics;
using AsyncCore.Protocols;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Enterprise;

/// <summary>
/// One pooled connection and everything tied to it: its prepared commands, when it was last used, and the work that runs
/// on it (the begin/commit/rollback rules and lost-connection detection). In thread mode a worker thread owns one slot
/// (adbapi's connection per thread); in async mode slots are lent to calls one at a time.
/// </summary>
/// <remarks>
/// Every method takes <c>async</c>: false runs the provider's synchronous API (a worker thread), true its async API; one
/// code path, so both modes keep the same semantics.
/// </remarks>
internal sealed class ConnectionSlot(ConnectionPool pool)
{
    private readonly Dictionary<string, CachedCommand> _commands = new(StringComparer.Ordinal);
    private DbConnection? _connection;
    private WorkItem? _current;
    // The last SQL string run and its cached command: a caller repeating the same string skips both dictionary lookups.
    private string? _lastSql;
    private CachedCommand? _lastCommand;
    private long _generation;
    private long _lastUsed;

    public ConnectionPool Pool { get; } = pool;

    public DbConnection? Connection => _connection;

    /// <summary>The call running on this slot, if any (read by the reactor thread's call-timeout watchdog).</summary>
    public WorkItem? Current => Volatile.Read(ref _current);

    /// <summary>
    /// Runs <paramref name="item"/> on this slot's connection and stores its outcome in it. Returns true when the outcome
    /// is to be delivered; false when the call was cancelled before it started (it did not run) or detached while it ran
    /// (its transaction was rolled back). Never throws.
    /// </summary>
    public async ValueTask<bool> ExecuteAsync<T>(WorkItem<T> item, bool async, long now)
    {
        if (!item.TryStart(now))
        {
            return false;
        }
        Volatile.Write(ref _current, item);
        try
        {
            await RunAsync(item, async).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _current, null);
        }
        return item.IsFinishing;
    }

    /// <summary>
    /// <see cref="ExecuteAsync"/> for an autocommit statement on a worker thread, without its nested async methods: the
    /// same outcome rules with no transaction to begin, commit or roll back. A connection that must first be opened or
    /// probed goes the general way.
    /// </summary>
    public bool Execute<T>(AutocommitItem<T> item, long now)
    {
        if (!IsReady())
        {
            // Opening and probing run synchronously here (async: false): the ValueTask has completed.
            return ExecuteAsync(item, async: false, now).GetAwaiter().GetResult();
        }
        if (!item.TryStart(now))
        {
            return false;
        }
        Volatile.Write(ref _current, item);
        try
        {
            T result;
            try
            {
                result = item.Run(this);
            }
            catch (Exception error)
            {
                // Detached meanwhile: the outcome is thrown away (nothing was committed that autocommit did not).
                if (item.TryFinish())
                {
                    item.SetError(TranslateAsync(error, async: false).GetAwaiter().GetResult());
                }
                return item.IsFinishing;
            }
            if (item.TryFinish())
            {
                item.SetResult(result);
            }
            return item.IsFinishing;
        }
        finally
        {
            Volatile.Write(ref _current, null);
            MarkUsed();
        }
    }

    private async ValueTask RunAsync<T>(WorkItem<T> item, bool async)
    {
        try
        {
            await EnsureReadyAsync(async).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Could not connect: the driver's error, as adbapi reports it. No connection is kept.
            Discard();
            item.SetError(e);
            item.TryFinish();
            return;
        }
        var connection = _connection!;
        DbTransaction? transaction = null;
        try
        {
            if (item.Transactional)
            {
                item.ActiveTransaction = async
                    ? await connection.BeginTransactionAsync().ConfigureAwait(false)
                    : connection.BeginTransaction();
            }
            var result = await item.RunAsync(this, item.ActiveTransaction, async).ConfigureAwait(false);
            if (!typeof(T).IsValueType && result is Deferred)
            {
                // Firing the call's Deferred with another Deferred is refused by Deferred itself: fail clearly instead of
                // leaving the call unfired, and roll back (the interaction did not do what it meant to).
                throw new InvalidOperationException(
                    $"The interaction returned a {result.GetType().Name}: an interaction runs on a worker thread and must return " +
                    "a value, not a Deferred (Deferreds belong to the reactor thread). Run the statements on the Transaction it " +
                    "receives, or chain on the reactor side: pool.RunInteraction(...).AddCallback(...).");
            }
            // RunWithConnection may have committed and begun a new transaction: finish the current one.
            transaction = item.ActiveTransaction;
            if (!item.TryFinish())
            {
                // Cancelled or timed out while it ran: its outcome is thrown away, and nothing is committed.
                throw new OperationCanceledException("The call was detached from its Deferred.");
            }
            if (transaction is not null)
            {
                if (async)
                {
                    await transaction.CommitAsync().ConfigureAwait(false);
                }
                else
                {
                    transaction.Commit();
                }
            }
            item.SetResult(result);
        }
        catch (Exception error)
        {
            transaction = item.ActiveTransaction;
            if (transaction is not null)
            {
                // Roll back on any exception, including one from commit; a rollback failure is logged and never hides
                // the original error.
                try
                {
                    if (async)
                    {
                        await transaction.RollbackAsync().ConfigureAwait(false);
                    }
                    else
                    {
                        transaction.Rollback();
                    }
                }
                catch (Exception rollbackError)
                {
                    Pool.Logger.LogError(rollbackError, "Rollback failed");
                }
            }
            if (item.TryFinish() || item.IsFinishing)
            {
                item.SetError(await TranslateAsync(error, async).ConfigureAwait(false));
            }
        }
        finally
        {
            item.ActiveTransaction = null;
            if (transaction is not null)
            {
                try
                {
                    await transaction.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception disposeError)
                {
                    Pool.Logger.LogDebug(disposeError, "Disposing a transaction failed");
                }
            }
            MarkUsed();
        }
    }

    /// <summary>Remembers when the connection was last used, for <see cref="ConnectionPoolOptions.ProbeAfterIdle"/> (its only reader).</summary>
    private void MarkUsed()
    {
        if (Pool.Options is { Reconnect: true, ProbeAfterIdle: not null })
        {
            _lastUsed = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// True when the connection can take a call as it is: open and, with reconnecting on, neither suspect (another
    /// connection was found lost since this one was checked) nor idle for too long.
    /// </summary>
    private bool IsReady()
    {
        if (_connection is not { State: ConnectionState.Open })
        {
            return false;
        }
        var options = Pool.Options;
        return !options.Reconnect
            || (_generation >= Pool.LostGeneration
                && !(options.ProbeAfterIdle is { } idle && Stopwatch.GetElapsedTime(_lastUsed) > idle));
    }

    /// <summary>Opens the connection if there is none, and probes a suspect one when reconnecting is on.</summary>
    private async ValueTask EnsureReadyAsync(bool async)
    {
        var options = Pool.Options;
        if (IsReady())
        {
            return;
        }
        if (_connection is { State: ConnectionState.Open })
        {
            var lost = Pool.LostGeneration;
            // Another connection was found lost since this one was checked (the server may have restarted), or this one
            // sat idle: probe it before trusting it with a call.
            if (await ProbeAsync(async).ConfigureAwait(false))
            {
                _generation = lost;
                return;
            }
            Pool.Logger.LogInformation("{Pool}: discarding a connection that no longer answers", Pool.Name);
        }
        Discard();
        var connection = Pool.CreateConnection();
        try
        {
            if (options.Noisy)
            {
                Pool.Logger.LogInformation("{Pool} connecting: {Provider}", Pool.Name, connection.GetType().Name);
            }
            if (async)
            {
                await connection.OpenAsync().ConfigureAwait(false);
            }
            else
            {
                connection.Open();
            }
            options.OpenFun?.Invoke(connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _connection = connection;
        _generation = Pool.LostGeneration;
        _lastUsed = Stopwatch.GetTimestamp();
        Pool.Provider ??= ProviderInfo.For(connection, options.ParamStyle);
        EnterpriseMetrics.ConnectionsOpened.Add(1);
    }

    private async ValueTask<bool> ProbeAsync(bool async)
    {
        try
        {
            await ScalarAsync(Pool.Options.GoodSql, [], null, async, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
#pragma warning disable CA1031 // Any failure of the probe means the connection is unusable.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    /// <summary>
    /// Decides whether <paramref name="error"/> lost the connection; if so the connection is discarded and, with
    /// reconnect on, the error becomes a <see cref="ConnectionLostException"/>.
    /// </summary>
    private async ValueTask<Exception> TranslateAsync(Exception error, bool async)
    {
        var lost = error is ConnectionLostException || _connection is not { State: ConnectionState.Open }
            || (Pool.Options.Reconnect && !await ProbeAsync(async).ConfigureAwait(false));
        if (!lost)
        {
            return error;
        }
        Discard();
        if (!Pool.Options.Reconnect || error is ConnectionLostException)
        {
            return error;
        }
        Pool.OnConnectionLost();
        Pool.Logger.LogWarning(error, "{Pool}: connection lost; it was discarded and the next call reconnects", Pool.Name);
        return new ConnectionLostException("The database connection was lost: " + error.Message, error);
    }

    /// <summary>Closes and forgets the connection and its commands; close errors are logged.</summary>
    public void Discard()
    {
        foreach (var cached in _commands.Values)
        {
            cached.Command.Dispose();
        }
        _commands.Clear();
        _lastSql = null;
        _lastCommand = null;
        var connection = _connection;
        _connection = null;
        if (connection is null)
        {
            return;
        }
        try
        {
            if (Pool.Options.Noisy)
            {
                Pool.Logger.LogInformation("{Pool} closing: {Provider}", Pool.Name, connection.GetType().Name);
            }
            connection.Dispose();
        }
        catch (Exception e)
        {
            Pool.Logger.LogError(e, "{Pool}: closing a connection failed", Pool.Name);
        }
    }

    // ------------------------------------------------------------------------------------------------ commands

    /// <summary>A command for <paramref name="sql"/> with <paramref name="args"/> bound, from the cache when possible.</summary>
    private DbCommand Command(string sql, IReadOnlyList<object?> args, DbTransaction? transaction, out CachedCommand? cached)
    {
        var provider = Pool.Provider!;
        DbCommand command;
        if (ReferenceEquals(sql, _lastSql) && _lastCommand is { } last)
        {
            cached = last;
            last.Sql.CheckArguments(args);
            command = last.Command;
            command.Transaction = transaction;
            provider.Bind(command, args);
            return command;
        }
        var parsed = provider.Parse(sql);
        parsed.CheckArguments(args);
        var text = parsed.Text;
        if (_commands.TryGetValue(text, out cached))
        {
            command = cached.Command;
            _lastSql = sql;
            _lastCommand = cached;
        }
        else
        {
            command = _connection!.CreateCommand();
            command.CommandText = text;
            var size = Pool.Options.CommandCacheSize;
            if (size > 0)
            {
                if (_commands.Count >= size)
                {
                    foreach (var old in _commands.Values)
                    {
                        old.Command.Dispose();
                    }
                    _commands.Clear();
                }
                cached = new CachedCommand(command, parsed);
                _commands[text] = cached;
                _lastSql = sql;
                _lastCommand = cached;
            }
        }
        command.Transaction = transaction;
        provider.Bind(command, args);
        return command;
    }

    // Each statement has a synchronous twin for worker threads: one await-free frame per call instead of a chain of
    // async methods completing synchronously, which cost as much as the query itself for a statement like SELECT 1.

    /// <summary>Runs a query with the provider's synchronous API and materialises its rows.</summary>
    public Row[] Query(string sql, IReadOnlyList<object?> args, DbTransaction? transaction)
    {
        var command = Command(sql, args, transaction, out var cached);
        try
        {
            using var reader = command.ExecuteReader();
            var schema = cached?.Schema;
            var rows = Row.ReadAll(reader, ref schema);
            if (cached is not null)
            {
                cached.Schema = schema;
            }
            return rows;
        }
        finally
        {
            if (cached is null)
            {
                command.Dispose();
            }
        }
    }

    public async ValueTask<IReadOnlyList<Row>> QueryAsync(string sql, IReadOnlyList<object?> args, DbTransaction? transaction, bool async, CancellationToken cancellationToken)
    {
        if (!async)
        {
            return Query(sql, args, transaction);
        }
        var command = Command(sql, args, transaction, out var cached);
        try
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await ReadRowsAsync(reader, cached, async, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (cached is null)
            {
                await command.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads every row of the current result set, reusing (and remembering) a cached command's schema.</summary>
    private static async ValueTask<IReadOnlyList<Row>> ReadRowsAsync(DbDataReader reader, CachedCommand? cached, bool async, CancellationToken cancellationToken)
    {
        var schema = cached?.Schema;
        IReadOnlyList<Row> rows;
        if (async)
        {
            (rows, schema) = await Row.ReadAllAsync(reader, schema, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            rows = Row.ReadAll(reader, ref schema);
        }
        if (cached is not null)
        {
            cached.Schema = schema;
        }
        return rows;
    }

    public async ValueTask<(IReadOnlyList<Row> Rows, int Affected)> ExecuteBufferedAsync(string sql, IReadOnlyList<object?> args, DbTransaction? transaction, bool async, CancellationToken cancellationToken)
    {
        var command = Command(sql, args, transaction, out var cached);
        try
        {
            var reader = async ? await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteReader();
            await using (reader.ConfigureAwait(false))
            {
                var rows = await ReadRowsAsync(reader, cached, async, cancellationToken).ConfigureAwait(false);
                // Drain further result sets so RecordsAffected covers the whole statement.
                while (async ? await reader.NextResultAsync(cancellationToken).ConfigureAwait(false) : reader.NextResult())
                {
                }
                return (rows, reader.RecordsAffected);
            }
        }
        finally
        {
            if (cached is null)
            {
                await command.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs a query with the provider's synchronous API and maps its rows to <typeparamref name="TRow"/>.</summary>
    public TRow[] Query<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(RowMapper<object>.Members)] TRow>(string sql, IReadOnlyList<object?> args, DbTransaction? transaction)
    {
        var command = Command(sql, args, transaction, out var cached);
        try
        {
            using var reader = command.ExecuteReader();
            return RowMapper<TRow>.ReadAll(reader);
        }
        finally
        {
            if (cached is null)
            {
                command.Dispose();
            }
        }
    }

    public async ValueTask<IReadOnlyList<TRow>> QueryAsync<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(RowMapper<object>.Members)] TRow>(string sql, IReadOnlyList<object?> args, DbTransaction? transaction, bool async, CancellationToken cancellationToken)
    {
        if (!async)
        {
            return Query<TRow>(sql, args, transaction);
        }
        var command = Command(sql, args, transaction, out var cached);
        try
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await RowMapper<TRow>.ReadAllAsync(reader, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (cached is null)
            {
                await command.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs a statement with the provider's synchronous API; the rows affected.</summary>
    public int ExecuteNonQuery(string sql, IReadOnlyList<object?> args, DbTransaction? transaction)
    {
        var command = Command(sql, args, transaction, out var cached);
        try
        {
            return command.ExecuteNonQuery();
        }
        finally
        {
            if (cached is null)
            {
                command.Dispose();
            }
        }
    }

    public async ValueTask<int> ExecuteNonQueryAsync(string sql, IReadOnlyList<object?> args, DbTransaction? transaction, bool async, CancellationToken cancellationToken)
    {
        if (!async)
        {
            return ExecuteNonQuery(sql, args, transaction);
        }
        var command = Command(sql, args, transaction, out var cached);
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (cached is null)
            {
                await command.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async ValueTask<object?> ScalarAsync(string sql, IReadOnlyList<object?> args, DbTransaction? transaction, bool async, CancellationToken cancellationToken)
    {
        var command = Command(sql, args, transaction, out var cached);
        try
        {
            var value = async ? await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteScalar();
            return value is DBNull ? null : value;
        }
        finally
        {
            if (cached is null)
            {
                await command.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private sealed class CachedCommand(DbCommand command, SqlText sql)
    {
        public DbCommand Command { get; } = command;

        public SqlText Sql { get; } = sql;

        public RowSchema? Schema { get; set; }
    }
}
