using AsyncCore.Tests.Shared;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using MySqlConnector;
using Npgsql;

namespace AsyncCore.Enterprise.Tests;

/// <summary>A database the contract tests run against: provider, connection string and the dialect bits that differ.</summary>
public abstract class Database : IDisposable
{
    public abstract string Name { get; }

    public abstract DbProviderFactory Factory { get; }

    public abstract string ConnectionString { get; }

    /// <summary>The provider's native positional placeholder for argument <paramref name="index"/> (0-based).</summary>
    public abstract string P(int index);

    /// <summary>A statement that runs for <paramref name="seconds"/> on the server (null for SQLite).</summary>
    public virtual string? Sleep(int seconds) => null;

    /// <summary>Kills the connection the transaction runs on, from inside it.</summary>
    public abstract void KillOwnConnection(Transaction txn);

    /// <summary>Restarts the server keeping its data (server databases only).</summary>
    public virtual void Restart() => throw new NotSupportedException($"{Name} has no server to restart.");

    /// <summary>A fresh table name for one test.</summary>
    public static string Table(string stem) => $"{stem}_{Guid.NewGuid():N}"[..(stem.Length + 13)];

    /// <summary>Runs SQL directly (not through the pool), for setup and independent checks.</summary>
    public object? Direct(string sql)
    {
        using var connection = Factory.CreateConnection()!;
        connection.ConnectionString = ConnectionString;
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>
    /// The connection string in <paramref name="variable"/>. Absent: the test skips with the reason, or fails under CI
    /// (a green CI must never hide integration tests that did not run).
    /// </summary>
    protected static string Require(string variable, string what)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(value))
        {
            return value;
        }
        var reason = $"{variable} is not set: no {what} server to test against (start one with `bash eng/services.sh start`).";
        MissingPeer.SkipOrFail(reason);
        return null!; // not reached: SkipOrFail throws
    }

    protected static void RunServicesScript(string command)
    {
        var script = Environment.GetEnvironmentVariable("ASYNCCORE_SERVICES_SCRIPT");
        Assert.SkipWhen(string.IsNullOrEmpty(script), "ASYNCCORE_SERVICES_SCRIPT is not set: the server cannot be restarted by this test.");
        var start = new ProcessStartInfo("bash", [script!, command]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"services.sh {command} failed: {stderr.Result}");
    }
}

public sealed class SqliteDatabase : Database
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"asynccore-{Guid.NewGuid():N}.db");

    public override string Name => "SQLite";

    public override DbProviderFactory Factory => SqliteFactory.Instance;

    // A file, not :memory: (which is one database per connection); no shared cache, as each worker has its own connection.
    public override string ConnectionString => $"Data Source={_path};Default Timeout=30";

    public override string P(int index) => "?";

    public override void KillOwnConnection(Transaction txn) => txn.Connection.Close();

    public override void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-journal" })
        {
            File.Delete(file);
        }
        base.Dispose();
    }
}

public sealed class PostgresDatabase : Database
{
    private readonly string _connectionString = Require("ASYNCCORE_PG", "PostgreSQL");

    public override string Name => "PostgreSQL";

    public override DbProviderFactory Factory => NpgsqlFactory.Instance;

    public override string ConnectionString => _connectionString;

    public override string P(int index) => "$" + (index + 1);

    public override string? Sleep(int seconds) => $"SELECT pg_sleep({seconds})";

    public override void KillOwnConnection(Transaction txn) => txn.Execute("SELECT pg_terminate_backend(pg_backend_pid())");

    public override void Restart()
    {
        RunServicesScript("restart-pg");
        NpgsqlConnection.ClearAllPools();
    }
}

public sealed class MariaDbDatabase : Database
{
    private readonly string _connectionString = Require("ASYNCCORE_MYSQL", "MariaDB/MySQL");

    public override string Name => "MariaDB";

    public override DbProviderFactory Factory => MySqlConnectorFactory.Instance;

    public override string ConnectionString => _connectionString;

    public override string P(int index) => "?";

    public override string? Sleep(int seconds) => $"SELECT SLEEP({seconds})";

    public override void KillOwnConnection(Transaction txn)
    {
        var id = txn.Scalar<long>("SELECT CONNECTION_ID()");
        txn.Execute($"KILL {id}");
    }

    public override void Restart()
    {
        RunServicesScript("restart-mysql");
        MySqlConnection.ClearAllPools();
    }
}
