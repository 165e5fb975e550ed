using System.Data.Common;
using AsyncCore.Protocols;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Enterprise;

/// <summary>
/// The settings of a <see cref="ConnectionPool"/>: Twisted's <c>cp_*</c> keywords (<c>cp_min</c>, <c>cp_max</c>,
/// <c>cp_openfun</c>, <c>cp_reconnect</c>, <c>cp_good_sql</c>, <c>cp_noisy</c>, <c>cp_name</c>) plus what a .NET pool adds.
/// </summary>
public sealed class ConnectionPoolOptions
{
    /// <summary>Worker threads (and so connections) started with the pool (<c>cp_min</c>, default 3).</summary>
    public int Min { get; set; } = 3;

    /// <summary>
    /// The most worker threads, connections and concurrent calls (<c>cp_max</c>, default 5). Calls beyond it wait in the
    /// pool's queue.
    /// </summary>
    public int Max { get; set; } = 5;

    /// <summary>
    /// The most calls that may wait for a free connection; beyond it a call fails at once with
    /// <see cref="ConnectionPoolQueueFullException"/>. Null (the default, as in adbapi) means no limit.
    /// </summary>
    public int? QueueLimit { get; set; }

    /// <summary>
    /// Run on every new connection right after it opens, on the thread that will use it (<c>cp_openfun</c>): session
    /// setup such as a time zone, a search path or pragmas.
    /// </summary>
    public Action<DbConnection>? OpenFun { get; set; }

    /// <summary>
    /// Detect lost connections (<c>cp_reconnect</c>, default false as in adbapi). When on, a failed call whose connection
    /// is closed, broken, or no longer answers <see cref="GoodSql"/> discards that connection and fails with
    /// <see cref="ConnectionLostException"/> wrapping the driver's error; connections that may have died with it are
    /// probed before their next use, so only the calls in flight when the connection was lost fail.
    /// </summary>
    public bool Reconnect { get; set; }

    /// <summary>The probe query of <see cref="Reconnect"/> (<c>cp_good_sql</c>, default <c>SELECT 1</c>).</summary>
    public string GoodSql { get; set; } = "SELECT 1";

    /// <summary>
    /// With <see cref="Reconnect"/>, a connection idle for longer than this is probed with <see cref="GoodSql"/> before it
    /// is used (a server restarted while the application was idle then costs no failed call). Null disables it.
    /// </summary>
    public TimeSpan? ProbeAfterIdle { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Log connecting and closing at Information level (<c>cp_noisy</c>).</summary>
    public bool Noisy { get; set; }

    /// <summary>The pool's name, used for its worker threads and log messages (<c>cp_name</c>).</summary>
    public string? Name { get; set; }

    /// <summary>How the arguments of <c>RunQuery</c>/<c>RunOperation</c> and <see cref="Transaction"/> calls are bound.</summary>
    public ParamStyle ParamStyle { get; set; } = ParamStyle.Auto;

    /// <summary>
    /// <see cref="PoolMode.Threads"/> (adbapi's model, the default) or <see cref="PoolMode.Async"/> (no worker threads:
    /// the provider's async ADO.NET, for drivers with true async I/O such as Npgsql and MySqlConnector).
    /// </summary>
    public PoolMode Mode { get; set; } = PoolMode.Threads;

    /// <summary>
    /// Prepared-command cache per connection: how many distinct SQL texts keep their <see cref="DbCommand"/> (default 64;
    /// 0 disables). Reusing a command lets providers such as Microsoft.Data.Sqlite skip re-preparing the statement.
    /// </summary>
    public int CommandCacheSize { get; set; } = 64;

    /// <summary>
    /// The longest a call may run, from the moment a connection starts on it (queueing does not count); null (the
    /// default) means no limit. A call running longer fails with <see cref="TimeoutException"/>; its transaction is rolled
    /// back, never committed, and its connection is abandoned: another connection takes its place at once, and the stuck
    /// one is closed, not reused, when the call finally returns. For a running <c>RunInteractionAsync</c> (and
    /// <see cref="Transaction.CancellationToken"/>) the token trips. The check runs on the reactor thread a few times per
    /// timeout, so a call fails within about a quarter of the timeout (at most a second) after it expires.
    /// </summary>
    public TimeSpan? CallTimeout { get; set; }

    /// <summary>
    /// How long <see cref="ConnectionPool.Close"/> (and so the reactor's shutdown) waits for the calls running and queued
    /// when it began (default 30 s, as .NET's host shutdown timeout; null waits for ever, as adbapi). When it elapses,
    /// the calls still running fail with <see cref="ConnectionPoolClosedException"/> (their transactions are rolled back
    /// when they return), the queued ones fail without running, and the close completes, so the reactor can stop.
    /// </summary>
    public TimeSpan? ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the pool logs; default <c>AsyncCoreLogging.CreateLogger("AsyncCore.Enterprise.ConnectionPool")</c>.</summary>
    public ILogger? Logger { get; set; }

    internal ConnectionPoolOptions Validated()
    {
        if (Max < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Max), Max, "Max must be at least 1.");
        }
        if (Min < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Min), Min, "Min must not be negative.");
        }
        if (QueueLimit is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueLimit), QueueLimit, "QueueLimit must not be negative.");
        }
        ArgumentException.ThrowIfNullOrWhiteSpace(GoodSql);
        if (CallTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CallTimeout), CallTimeout, "CallTimeout must be positive (null: no limit).");
        }
        if (ShutdownGracePeriod is { } grace && grace < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ShutdownGracePeriod), ShutdownGracePeriod, "ShutdownGracePeriod must not be negative (null: wait for ever).");
        }
        var copy = (ConnectionPoolOptions)MemberwiseClone();
        // As adbapi does: min and max are normalised so that min <= max.
        copy.Min = Math.Min(Min, Max);
        return copy;
    }
}

/// <summary>Where a <see cref="ConnectionPool"/> runs database work.</summary>
public enum PoolMode
{
    /// <summary>On the pool's own worker threads, one connection per thread (adbapi's model).</summary>
    Threads,

    /// <summary>
    /// Without worker threads: queries use the provider's async ADO.NET (<c>ExecuteReaderAsync</c>...) on up to
    /// <see cref="ConnectionPoolOptions.Max"/> connections; synchronous interactions run on the .NET thread pool.
    /// </summary>
    Async,
}
