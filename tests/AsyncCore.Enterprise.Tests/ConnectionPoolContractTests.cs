using System.Collections.Concurrent;
using System.Data.Common;
using AsyncCore.Protocols;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Enterprise.Tests;

/// <summary>
/// adbapi's contract (test_adbapi.py's ADBAPITestBase, ConnectionTests, ConnectionPoolTests and beyond), run once per
/// provider and pool mode by the subclasses at the end of this file.
/// </summary>
public abstract class ConnectionPoolContractTests : IAsyncLifetime
{
    private Database? _db;
    private ReactorHarness? _harness;
    private readonly List<ConnectionPool> _pools = [];

    protected abstract Database CreateDatabase();

    protected virtual PoolMode Mode => PoolMode.Threads;

    protected Database Db => _db ??= CreateDatabase();

    private ReactorHarness Harness => _harness ??= ReactorHarness.Running();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
        _db?.Dispose();
        GC.SuppressFinalize(this);
    }

    protected ConnectionPool Pool(Action<ConnectionPoolOptions>? configure = null)
    {
        // Touch the database on the test thread: a missing server skips (or fails under CI) here, not on the reactor.
        var db = Db;
        var options = new ConnectionPoolOptions { Min = 1, Max = 3, Mode = Mode };
        configure?.Invoke(options);
        var pool = Harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, Harness.Reactor, options)).Result;
        _pools.Add(pool);
        return pool;
    }

    private Task<T> Call<T>(Func<Deferred<T>> call) => Harness.Call(call);

    private async Task<string> CreateTable(ConnectionPool pool, string stem = "t")
    {
        var table = Database.Table(stem);
        await Call(() => pool.RunOperation($"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name VARCHAR(100))"));
        return table;
    }

    [Fact]
    public async Task RunQuery_SelectOne_FiresOnReactorThreadWithTheRow()
    {
        var pool = Pool();
        var rows = await Call(() => pool.RunQuery("SELECT 1 AS one"));
        var row = Assert.Single(rows);
        Assert.Equal(1L, Convert.ToInt64(row[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, row.Get<int>("one"));
    }

    [Fact]
    public async Task RunQuery_ReturnsEveryRowInOrder_AcrossTheSizesTheRowBufferChangesAt()
    {
        // Rows are collected 16 in place, then in an overflow list: every count around that edge, mapped and not.
        var pool = Pool();
        var table = await CreateTable(pool);
        await Call(() => pool.RunInteraction(txn =>
        {
            for (var i = 0; i < 40; i++)
            {
                txn.Execute($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", i, $"name {i}");
            }
            return 0;
        }));
        foreach (var count in new[] { 0, 1, 15, 16, 17, 33, 40 })
        {
            var rows = await Call(() => pool.RunQuery($"SELECT id, name FROM {table} WHERE id < {count} ORDER BY id"));
            Assert.Equal(Enumerable.Range(0, count).Select(i => $"name {i}"), rows.Select(r => r.Get<string>("name")));
            var ids = await Call(() => pool.RunQuery<int>($"SELECT id FROM {table} WHERE id < {count} ORDER BY id"));
            Assert.Equal(Enumerable.Range(0, count), ids);
        }
    }

    [Fact]
    public async Task RunOperation_Insert_CommitsVisiblyToOtherConnections()
    {
        var pool = Pool();
        var table = await CreateTable(pool);
        var affected = await Call(() => pool.RunOperation($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", 1, "one"));
        Assert.Equal(1, affected);
        Assert.Equal(1L, Convert.ToInt64(Db.Direct($"SELECT COUNT(*) FROM {table}"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RunInteraction_Returns_CommitsAndFiresWithTheResult()
    {
        var pool = Pool();
        var table = await CreateTable(pool);
        var count = await Call(() => pool.RunInteraction(txn =>
        {
            for (var i = 0; i < 5; i++)
            {
                txn.Execute($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", i, "n" + i);
            }
            txn.Execute($"SELECT COUNT(*) FROM {table}");
            return txn.FetchOne()!.Get<int>(0);
        }));
        Assert.Equal(5, count);
        Assert.Equal(5L, Convert.ToInt64(Db.Direct($"SELECT COUNT(*) FROM {table}"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RunInteraction_Throws_RollsBackAndFailsWithTheOriginalError()
    {
        var pool = Pool();
        var table = await CreateTable(pool);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Call(() => pool.RunInteraction<int>(txn =>
        {
            txn.Execute($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", 1, "doomed");
            throw new InvalidOperationException("interaction failed");
        })));
        Assert.Equal("interaction failed", error.Message);
        Assert.Equal(0L, Convert.ToInt64(Db.Direct($"SELECT COUNT(*) FROM {table}"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RunInteraction_RollbackFails_LogsItAndReportsTheOriginalError()
    {
        var log = new CapturingLogger();
        var pool = Pool(o => o.Logger = log);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Call(() => pool.RunInteraction<int>(txn =>
        {
            txn.Execute("SELECT 1");
            // Losing the connection under the transaction makes the rollback fail.
            txn.Connection.Close();
            throw new ArgumentException("original");
        })));
        Assert.Equal("original", error.Message);
        Assert.Contains(log.Entries, e => e.Message.Contains("Rollback failed", StringComparison.Ordinal) && e.Exception is not null);
        // The closed connection was replaced.
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));
    }

    [Fact]
    public async Task RunInteractionAsync_CommitsOnReturnAndRollsBackOnThrow()
    {
        var pool = Pool();
        var table = await CreateTable(pool);
        await Call(() => pool.RunInteractionAsync(async (txn, ct) =>
            await txn.ExecuteNonQueryAsync($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", 1, "kept")));
        await Assert.ThrowsAsync<TimeoutException>(() => Call(() => pool.RunInteractionAsync<int>(async (txn, ct) =>
        {
            await txn.ExecuteNonQueryAsync($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", 2, "dropped");
            throw new TimeoutException("async failure");
        })));
        var names = await Call(() => pool.RunQuery<string>($"SELECT name FROM {table} ORDER BY id"));
        Assert.Equal(["kept"], names);
    }

    [Fact]
    public async Task RunWithConnection_CloseIsHarmless_AndCommits()
    {
        var pool = Pool();
        var table = await CreateTable(pool);
        await Call(() => pool.RunWithConnection(conn =>
        {
            using var command = conn.CreateCommand($"INSERT INTO {table} (id, name) VALUES (1, 'x')");
            command.ExecuteNonQuery();
            conn.Close();
            return 0;
        }));
        Assert.Equal(1L, Convert.ToInt64(Db.Direct($"SELECT COUNT(*) FROM {table}"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));
    }

    [Fact]
    public async Task RunWithConnection_Throws_RollsBack()
    {
        var pool = Pool();
        var table = await CreateTable(pool);
        await Assert.ThrowsAsync<FormatException>(() => Call(() => pool.RunWithConnection<int>(conn =>
        {
            using var command = conn.CreateCommand($"INSERT INTO {table} (id, name) VALUES (1, 'x')");
            command.ExecuteNonQuery();
            throw new FormatException("nope");
        })));
        Assert.Equal(0L, Convert.ToInt64(Db.Direct($"SELECT COUNT(*) FROM {table}"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RunQuery_BadSql_FailsWithTheProvidersErrorNotConnectionLost()
    {
        var pool = Pool(o => o.Reconnect = true);
        var error = await Assert.ThrowsAnyAsync<DbException>(() => Call(() => pool.RunQuery("SELECT * FROM no_such_table_anywhere")));
        Assert.IsNotType<ConnectionLostException>(error);
        // The connection survived the error.
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));
    }

    [Fact]
    public async Task RunInteraction_BeyondMax_RunsAtMostMaxAtOnceAndCompletesEveryCall()
    {
        var pool = Pool(o => { o.Min = 0; o.Max = 3; });
        var running = 0;
        var peak = 0;
        var connectionsByThread = new ConcurrentDictionary<int, ConcurrentBag<DbConnection>>();
        var calls = Enumerable.Range(0, 12).Select(i => Call(() => pool.RunInteraction(txn =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            connectionsByThread.GetOrAdd(Environment.CurrentManagedThreadId, _ => []).Add(txn.Connection);
            txn.Execute("SELECT 1");
            Thread.Sleep(20);
            Interlocked.Decrement(ref running);
            return i;
        }))).ToArray();
        var results = await Task.WhenAll(calls);
        Assert.Equal(Enumerable.Range(0, 12), results);
        Assert.InRange(peak, 1, 3);
        if (Mode == PoolMode.Threads)
        {
            // adbapi: one connection per worker thread, and no more threads than Max.
            Assert.InRange(connectionsByThread.Count, 1, 3);
            Assert.All(connectionsByThread.Values, bag => Assert.Single(bag.Distinct()));
        }
    }

    [Fact]
    public async Task Submit_BeyondQueueLimit_FailsClearly()
    {
        var pool = Pool(o => { o.Min = 1; o.Max = 1; o.QueueLimit = 1; });
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var first = Call(() => pool.RunInteraction(txn =>
        {
            entered.Set();
            gate.Wait(TimeSpan.FromSeconds(30));
            return 1;
        }));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        var second = Call(() => pool.RunQuery("SELECT 2"));
        var third = await Assert.ThrowsAsync<ConnectionPoolQueueFullException>(() => Call(() => pool.RunQuery("SELECT 3")));
        Assert.Contains("QueueLimit", third.Message, StringComparison.Ordinal);
        gate.Set();
        Assert.Equal(1, await first);
        Assert.Single(await second);
    }

    [Fact]
    public async Task Close_Twice_BothFireAndLaterCallsFail()
    {
        var pool = Pool();
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));
        var closes = await Harness.Run(() => (pool.Close(), pool.Close()));
        await Harness.Call(() => closes.Item1);
        await Harness.Call(() => closes.Item2);
        Assert.Null(await Call(() => pool.Close()));
        Assert.True(pool.Closed);
        await Assert.ThrowsAsync<ConnectionPoolClosedException>(() => Call(() => pool.RunQuery("SELECT 1")));
        await Assert.ThrowsAsync<ConnectionPoolClosedException>(() => Call(() => pool.RunInteraction(txn => 1)));
    }

    [Fact]
    public async Task Close_WithCallsQueued_LetsThemFinishFirst()
    {
        var pool = Pool(o => { o.Min = 1; o.Max = 1; });
        var calls = Enumerable.Range(0, 5).Select(i => Call(() => pool.RunQuery<int>($"SELECT {i}"))).ToArray();
        await Call(() => pool.Close());
        var results = await Task.WhenAll(calls);
        Assert.Equal([[0], [1], [2], [3], [4]], results.Select(r => r.ToArray()));
    }

    [Fact]
    public async Task ManyCallsInFlight_MixedWithInteractions_EachFiresOnceOnTheReactorBeforeCloseAndNoInteractionRunsThere()
    {
        // Deliveries are batched and async-mode queries may start on the reactor thread: every call must still fire
        // exactly once, with its own result, before Close fires, and blocking user code must never run on the reactor.
        var pool = Pool(o => { o.Min = 1; o.Max = 3; });
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));
        var interactionsOnReactor = 0;
        var (results, firedBeforeClose) = await Harness.Run(() =>
        {
            var results = new List<int>[200];
            var fired = 0;
            var firedBeforeClose = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            for (var i = 0; i < results.Length; i++)
            {
                var n = i;
                if (n % 10 == 0)
                {
                    pool.RunInteraction(txn =>
                    {
                        if (Harness.Reactor.IsReactorThread)
                        {
                            Interlocked.Increment(ref interactionsOnReactor);
                        }
                        return txn.Query<int>($"SELECT {n}").ToList();
                    }).AddCallback(rows => { results[n] = rows; fired++; });
                }
                else
                {
                    pool.RunQuery<int>($"SELECT {n}").AddCallback(rows => { results[n] = [.. rows]; fired++; });
                }
            }
            pool.Close().AddCallback(_ => firedBeforeClose.SetResult(fired));
            return (results, firedBeforeClose.Task);
        });
        Assert.Equal(200, await firedBeforeClose);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => new List<int> { i }), results);
        Assert.Equal(0, interactionsOnReactor);
    }

    [Fact]
    public async Task ReactorShutdown_PoolNeverClosed_ClosesItAndStops()
    {
        var pool = Pool();
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));
        await Harness.StopAsync();
        Assert.True(pool.Closed);
        Assert.False(pool.Running);
    }

    [Fact]
    public async Task OpenFun_RunsOnceOnEveryNewConnection()
    {
        var opened = new ConcurrentBag<DbConnection>();
        // The first two connections wait for each other in OpenFun, so two calls must have opened two connections.
        using var together = new CountdownEvent(2);
        var pool = Pool(o =>
        {
            o.Min = 0;
            o.Max = 2;
            o.OpenFun = c =>
            {
                opened.Add(c);
                if (!together.IsSet)
                {
                    together.Signal();
                    together.Wait(TimeSpan.FromSeconds(30));
                }
            };
        });
        var a = Call(() => pool.RunInteraction(txn => txn.Connection));
        var b = Call(() => pool.RunInteraction(txn => txn.Connection));
        var used = new[] { await a, await b };
        await Call(() => pool.RunQuery("SELECT 1"));
        Assert.Equal(2, opened.Distinct().Count());
        Assert.Equal(opened.ToHashSet(), used.ToHashSet());
    }

    [Fact]
    public async Task ParamStyles_PositionalNamedAndFormat_AllBindInOrder()
    {
        var positional = Pool();
        var named = Pool(o => o.ParamStyle = ParamStyle.Named);
        var format = Pool(o => o.ParamStyle = ParamStyle.Format);
        var table = await CreateTable(positional);
        await Call(() => positional.RunOperation($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", 1, "native"));
        await Call(() => named.RunOperation($"INSERT INTO {table} (id, name) VALUES (@p0, @p1)", 2, "named"));
        await Call(() => format.RunOperation($"INSERT INTO {table} (id, name) VALUES (%s, %s)", 3, "format '%s' literal"));
        await Call(() => positional.RunOperation($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", 4, null));
        await Call(() => positional.RunOperation($"INSERT INTO {table} (id, name) VALUES (@id, @name)", new NamedArg("id", 5), new NamedArg("name", "by name")));
        var rows = await Call(() => named.RunQuery($"SELECT id, name FROM {table} WHERE id >= @p0 ORDER BY id", 1));
        Assert.Equal(["native", "named", "format '%s' literal", null, "by name"], rows.Select(r => (string?)r["name"]));
        Assert.Equal(ParamStyle.Positional, await Harness.Run(() => positional.EffectiveParamStyle));
    }

    [Fact]
    public async Task RunQueryOfT_MapsColumnsToRecordsClassesAndScalars()
    {
        var pool = Pool();
        var table = Database.Table("people");
        await Call(() => pool.RunOperation($"CREATE TABLE {table} (id INTEGER PRIMARY KEY, user_name VARCHAR(50), age INTEGER, nickname VARCHAR(50))"));
        await Call(() => pool.RunOperation($"INSERT INTO {table} VALUES (1, 'ada', 36, NULL), (2, 'alan', 41, 'prof')"));
        var records = await Call(() => pool.RunQuery<PersonRecord>($"SELECT id, user_name, age, nickname FROM {table} ORDER BY id"));
        Assert.Equal([new PersonRecord(1, "ada", 36) { Nickname = null }, new PersonRecord(2, "alan", 41) { Nickname = "prof" }], records);
        var classes = await Call(() => pool.RunQuery<PersonClass>($"SELECT id, user_name, age FROM {table} ORDER BY id"));
        Assert.Equal(["ada", "alan"], classes.Select(c => c.UserName));
        Assert.Equal([36L, 41L], classes.Select(c => c.Age));
        var ages = await Call(() => pool.RunQuery<int?>($"SELECT age FROM {table} ORDER BY id"));
        Assert.Equal([36, 41], ages);
    }

    [Fact]
    public async Task ConnectionDiesInsideInteraction_Reconnect_FailsThatCallOnlyAndTheNextSucceeds()
    {
        var pool = Pool(o => { o.Min = 1; o.Max = 1; o.Reconnect = true; });
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));
        var error = await Assert.ThrowsAsync<ConnectionLostException>(() => Call(() => pool.RunInteraction(txn =>
        {
            Db.KillOwnConnection(txn);
            txn.Execute("SELECT 1");
            return 0;
        })));
        Assert.NotNull(error.InnerException);
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Reconnect_ConnectionIdleLongerThanProbeAfterIdle_IsProbedBeforeTheNextCall(bool probeAfterIdle)
    {
        // The probe (GoodSql) deletes a marker row, so the test sees whether it ran.
        var setup = Pool();
        var probes = await CreateTable(setup, "probes");
        var pool = Pool(o =>
        {
            o.Min = 1;
            o.Max = 1;
            o.Reconnect = true;
            o.GoodSql = $"DELETE FROM {probes}";
            o.ProbeAfterIdle = probeAfterIdle ? TimeSpan.FromMilliseconds(20) : null;
        });
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));
        await Call(() => setup.RunOperation($"INSERT INTO {probes} (id, name) VALUES (1, 'marker')"));

        await Task.Delay(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));

        Assert.Equal(probeAfterIdle ? 0 : 1, Count(probes));
    }

    // ------------------------------------------------------------------------------------------------ reliability

    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    /// <summary>Submits on the reactor thread; returns the Deferred (to cancel it) and a task with its outcome.</summary>
    private Task<(Deferred<T> Deferred, Task<T> Outcome)> Submit<T>(Func<Deferred<T>> call) => Harness.Run(() =>
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var d = call();
        d.AddBoth(outcome =>
        {
            if (outcome.Succeeded)
            {
                done.SetResult(outcome.Value);
            }
            else
            {
                done.SetException(outcome.Failure!.Value);
            }
            return 0;
        });
        return (d, done.Task);
    });

    private long Count(string table) => Convert.ToInt64(Db.Direct($"SELECT COUNT(*) FROM {table}"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An interaction that signals it started, then waits for <paramref name="gate"/>, then inserts a row.</summary>
    private Func<Transaction, int> Stuck(string table, ManualResetEventSlim started, ManualResetEventSlim gate, ManualResetEventSlim? closed = null) => txn =>
    {
        if (closed is not null)
        {
            txn.Connection.StateChange += (_, e) =>
            {
                if (e.CurrentState == System.Data.ConnectionState.Closed)
                {
                    closed.Set();
                }
            };
        }
        started.Set();
        gate.Wait(TimeSpan.FromSeconds(60));
        txn.Execute($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", 99, "stuck");
        return 99;
    };

    [Fact]
    public async Task RunInteraction_ReturningADeferred_FailsClearlyAndRollsBack()
    {
        var pool = Pool();
        var table = await CreateTable(pool);
        // The explicit type argument is what a caller who stores the Deferred in a variable of type object gets.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Call(() => pool.RunInteraction<object>(txn =>
        {
            txn.Execute($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", 1, "x");
            return Deferred.Succeed(5);
        })).WaitAsync(Guard, TestContext.Current.CancellationToken));
        Assert.Contains("not a Deferred", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, Count(table));
        // And the pool still works, and closes.
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));
        await Call(() => pool.Close()).WaitAsync(Guard, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task PoolCalledFromInsideAnInteraction_ThrowsClearly()
    {
        var pool = Pool();
        var message = await Call(() => pool.RunInteraction(txn =>
        {
            try
            {
                pool.RunQuery("SELECT 1");
                return "no error";
            }
            catch (InvalidOperationException e)
            {
                return e.Message;
            }
        }));
        Assert.Contains("inside an interaction", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BlockingCallBackIntoAFullPool_FailsInsteadOfDeadlocking()
    {
        var pool = Pool(o => { o.Min = 1; o.Max = 1; });
        var message = await Call(() => pool.RunInteraction(txn =>
        {
            try
            {
                Harness.Reactor.BlockingCallFromThread(() => pool.RunQuery("SELECT 1"));
                return "no error";
            }
            catch (InvalidOperationException e)
            {
                return e.Message;
            }
        })).WaitAsync(Guard, TestContext.Current.CancellationToken);
        Assert.Contains("Deadlock", message, StringComparison.Ordinal);
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));
    }

    [Fact]
    public async Task BlockingCallBackIntoAPoolWithAFreeConnection_Runs()
    {
        var pool = Pool(o => { o.Min = 1; o.Max = 2; });
        var rows = await Call(() => pool.RunInteraction(txn => Harness.Reactor.BlockingCallFromThread(() => pool.RunQuery<int>("SELECT 7"))))
            .WaitAsync(Guard, TestContext.Current.CancellationToken);
        Assert.Equal([7], rows);
    }

    [Fact]
    public async Task CancelQueuedCall_ItNeverRuns()
    {
        var pool = Pool(o => { o.Min = 1; o.Max = 1; });
        var table = await CreateTable(pool);
        using var started = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var (_, blocker) = await Submit(() => pool.RunInteraction(txn =>
        {
            started.Set();
            gate.Wait(TimeSpan.FromSeconds(60));
            return 0;
        }));
        Assert.True(started.Wait(Guard, TestContext.Current.CancellationToken));
        var (insert, inserted) = await Submit(() => pool.RunOperation($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", 1, "cancelled"));
        await Harness.Run(() => { insert.Cancel(); return 0; });
        await Assert.ThrowsAsync<CancelledException>(() => inserted);
        gate.Set();
        await blocker;
        // Runs after the cancelled INSERT's turn in the queue.
        Assert.Equal([0L], await Call(() => pool.RunQuery<long>($"SELECT COUNT(*) FROM {table}")));
        Assert.Equal(0, Count(table));
    }

    [Fact]
    public async Task CancelRunningAsyncInteraction_TripsItsTokenAndRollsBack()
    {
        var pool = Pool();
        var table = await CreateTable(pool);
        using var started = new ManualResetEventSlim();
        var observed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (call, outcome) = await Submit(() => pool.RunInteractionAsync(async (txn, ct) =>
        {
            await txn.ExecuteNonQueryAsync($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", 1, "cancelled");
            started.Set();
            try
            {
                if (Db.Sleep(30) is { } sleep)
                {
                    // A real server-side wait, cancelled through the provider.
                    await txn.ExecuteNonQueryAsync(sleep);
                }
                else
                {
                    await Task.Delay(TimeSpan.FromSeconds(60), ct);
                }
            }
            catch (Exception e) when (ct.IsCancellationRequested)
            {
                observed.SetResult(true);
                throw new OperationCanceledException("cancelled", e, ct);
            }
            observed.SetResult(false);
            return 1;
        }));
        Assert.True(started.Wait(Guard, TestContext.Current.CancellationToken));
        await Harness.Run(() => { call.Cancel(); return 0; });
        await Assert.ThrowsAsync<CancelledException>(() => outcome);
        Assert.True(await observed.Task.WaitAsync(Guard, TestContext.Current.CancellationToken));
        // The pool is still usable, and nothing was committed.
        Assert.Single(await Call(() => pool.RunQuery("SELECT 1")));
        Assert.Equal(0, Count(table));
    }

    [Fact]
    public async Task CallTimeout_InteractionNeverReturns_FailsWithTimeout_CommitsNothing_AndTheQueuedCallRuns()
    {
        // The timeout also bounds the queued call, which starts by opening the replacement connection (a new server
        // connection for PostgreSQL and MariaDB): 200 ms was within a loaded machine's delays for that; 1 s is not.
        var pool = Pool(o => { o.Min = 1; o.Max = 1; o.CallTimeout = TimeSpan.FromSeconds(1); });
        var table = await CreateTable(pool);
        using var started = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        using var closed = new ManualResetEventSlim();
        var (_, stuck) = await Submit(() => pool.RunInteraction(Stuck(table, started, gate, closed)));
        Assert.True(started.Wait(Guard, TestContext.Current.CancellationToken));
        var (_, queued) = await Submit(() => pool.RunQuery<int>("SELECT 3"));
        var error = await Assert.ThrowsAsync<TimeoutException>(() => stuck.WaitAsync(Guard, TestContext.Current.CancellationToken));
        Assert.Contains("CallTimeout", error.Message, StringComparison.Ordinal);
        Assert.Equal([3], await queued.WaitAsync(Guard, TestContext.Current.CancellationToken));
        // When the stuck interaction returns, its work is rolled back and its connection closed, not reused.
        gate.Set();
        Assert.True(closed.Wait(Guard, TestContext.Current.CancellationToken));
        Assert.Equal(0, Count(table));
        await Call(() => pool.Close()).WaitAsync(Guard, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ShutdownGracePeriod_InteractionNeverReturns_CloseCompletesAndFailsTheRunningAndQueuedCalls()
    {
        var pool = Pool(o => { o.Min = 1; o.Max = 1; o.ShutdownGracePeriod = TimeSpan.FromMilliseconds(200); });
        var table = await CreateTable(pool);
        using var started = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        using var closed = new ManualResetEventSlim();
        var (_, stuck) = await Submit(() => pool.RunInteraction(Stuck(table, started, gate, closed)));
        Assert.True(started.Wait(Guard, TestContext.Current.CancellationToken));
        var (_, queued) = await Submit(() => pool.RunOperation($"INSERT INTO {table} (id, name) VALUES ({Db.P(0)}, {Db.P(1)})", 1, "queued"));
        await Call(() => pool.Close()).WaitAsync(Guard, TestContext.Current.CancellationToken);
        Assert.Contains("grace period", (await Assert.ThrowsAsync<ConnectionPoolClosedException>(() => stuck)).Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ConnectionPoolClosedException>(() => queued);
        gate.Set();
        Assert.True(closed.Wait(Guard, TestContext.Current.CancellationToken));
        Assert.Equal(0, Count(table));
    }

    [Fact]
    public async Task SqlText_CommentsAndLiteralsHidePlaceholders_AndArgumentCountsAreChecked()
    {
        var pool = Pool();
        var p0 = Db.P(0);
        var rows = await Call(() => pool.RunQuery($"SELECT '?' AS q, {p0} AS v -- ? $2\n", 5));
        Assert.Equal("?", rows[0]["q"]);
        Assert.Equal(5L, Convert.ToInt64(rows[0]["v"], System.Globalization.CultureInfo.InvariantCulture));
        var extra = await Assert.ThrowsAsync<ArgumentException>(() => Call(() => pool.RunQuery($"SELECT {p0}", 1, 2)));
        Assert.Contains("Not all arguments converted", extra.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => Call(() => pool.RunQuery("SELECT 1", 1)));
        // Inside an interaction the error is thrown where the statement is run.
        var inside = await Call(() => pool.RunInteraction(txn =>
        {
            try
            {
                txn.Execute($"SELECT {p0}");
                return "no error";
            }
            catch (ArgumentException e)
            {
                return e.Message;
            }
        }));
        Assert.Contains("Not enough arguments", inside, StringComparison.Ordinal);
        var format = Pool(o => o.ParamStyle = ParamStyle.Format);
        var formatted = await Call(() => format.RunQuery("SELECT '100%%' AS pct, %s AS v /* %s */", "a"));
        Assert.Equal("100%", formatted[0]["pct"]);
        Assert.Equal("a", formatted[0]["v"]);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    public sealed record PersonRecord(long Id, string UserName, int Age)
    {
        public string? Nickname { get; init; }
    }

    public sealed class PersonClass
    {
        public long Id { get; set; }

        public string UserName { get; set; } = "";

        public long Age { get; set; }
    }
}

internal sealed class CapturingLogger : ILogger
{
    public ConcurrentBag<(string Message, Exception? Exception)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Add((formatter(state, exception), exception));
}

public sealed class SqliteConnectionPoolTests : ConnectionPoolContractTests
{
    protected override Database CreateDatabase() => new SqliteDatabase();
}

public sealed class PostgresConnectionPoolTests : ConnectionPoolContractTests
{
    protected override Database CreateDatabase() => new PostgresDatabase();
}

public sealed class PostgresAsyncConnectionPoolTests : ConnectionPoolContractTests
{
    protected override Database CreateDatabase() => new PostgresDatabase();

    protected override PoolMode Mode => PoolMode.Async;
}

public sealed class MariaDbConnectionPoolTests : ConnectionPoolContractTests
{
    protected override Database CreateDatabase() => new MariaDbDatabase();
}

public sealed class MariaDbAsyncConnectionPoolTests : ConnectionPoolContractTests
{
    protected override Database CreateDatabase() => new MariaDbDatabase();

    protected override PoolMode Mode => PoolMode.Async;
}
