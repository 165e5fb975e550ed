// Throughput of ConnectionPool against direct ADO.NET, at a fixed number of calls in flight, in one run.
//   dotnet run -c Release --project bench/AsyncCore.Enterprise.Benchmarks -- [seconds] [sqlite|pg|all|spare-core] [rounds]
// PostgreSQL rows need ASYNCCORE_PG (bash eng/services.sh start). Prints a Markdown table.
// Each cell runs its runners in turn, `rounds` times, each round starting one runner later (A B C, B C A, ...), and
// reports each runner's median and range: on a shared machine the load moves between seconds, and interleaving gives
// every runner the same share of it. Ratios are computed per round, against the runner measured in the same round.
using System.Data.Common;
using System.Diagnostics;
using AsyncCore;
using AsyncCore.Enterprise;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using Microsoft.Data.Sqlite;
using Npgsql;

var seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2;
var which = args.Length > 1 ? args[1] : "all";
var rounds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3;
var duration = TimeSpan.FromSeconds(seconds);
// For profiling one runner: only runners whose "database|query|in flight|runner" contains this text run.
var filter = Environment.GetEnvironmentVariable("ASYNCCORE_BENCH_FILTER");
// ASYNCCORE_BENCH_SQLITE_IMMUTABLE=1: every runner opens the SQLite file read-only with immutable=1, so SQLite takes no
// file lock per query. A diagnostic: it shows what the comparison is without SQLite's shared-lock bookkeeping, whose
// fcntl calls depend on how the connections' read transactions overlap (bench/README-enterprise.md).
var immutable = Environment.GetEnvironmentVariable("ASYNCCORE_BENCH_SQLITE_IMMUTABLE") == "1";
var cores = Environment.ProcessorCount;
// "vs direct": the pool over the direct runner it is compared with (same threads; for async mode, direct async).
// "vs direct async" (PostgreSQL): every pool row over direct Npgsql async with the same concurrency, the issue's target.
// "own cost" (one core only): 1/pool − 1/direct per round, the time the pool adds to each call when one core runs
// everything, so the difference is CPU (with several cores the threads overlap and it is not).
Console.WriteLine($"| database | query | in flight | runner | queries/s (median of {rounds}) | min-max | vs direct (median, min-max of rounds) | vs direct async | own cost µs/call (one core) |");
Console.WriteLine($"|---|---|---:|---|---:|---:|---:|---:|---:|");

// The reactor a user gets by default (EpollReactor on Linux); ASYNCCORE_REACTOR=eventloop measures the portable one, and
// ASYNCCORE_BENCH_SPIN=never|adaptive|always its ReactorOptions.SpinBeforeSleep (default: adaptive, the library's).
var spin = Environment.GetEnvironmentVariable("ASYNCCORE_BENCH_SPIN") is { Length: > 0 } named
    ? Enum.Parse<SpinPolicy>(named, ignoreCase: true)
    : SpinPolicy.Adaptive;
using var reactor = ReactorFactory.Create(ReactorKind.Default, new ReactorOptions { SpinBeforeSleep = spin });
using var reactorThread = reactor.RunInBackground();

if (which is "all" or "sqlite")
{
    var path = Path.Combine(Path.GetTempPath(), $"asynccore-bench-{Guid.NewGuid():N}.db");
    var cs = $"Data Source={path}";
    Setup(SqliteFactory.Instance, cs);
    if (immutable)
    {
        cs = $"Data Source=file:{path}?immutable=1";
    }
    foreach (var (label, sql) in Queries())
    {
        foreach (var inFlight in new[] { 10, 50 })
        {
            // Threads: the pool's workers = the cores; direct ADO.NET gets the same number of threads. SQLite has no
            // real async I/O, so async mode is compared with the same direct threads.
            var direct = $"direct ADO.NET, {cores} threads";
            await Cell("SQLite", label, inFlight,
            [
                ($"pool, threads (Max={cores})", direct, () => MeasurePool(SqliteFactory.Instance, cs, sql, inFlight, cores, PoolMode.Threads)),
                ($"pool, async mode (Max={cores})", direct, () => MeasurePool(SqliteFactory.Instance, cs, sql, inFlight, cores, PoolMode.Async)),
                (direct, null, () => Task.FromResult(MeasureDirectThreads(SqliteFactory.Instance, cs, sql, cores))),
            ]);
        }
    }
    SqliteConnection.ClearAllPools();
    File.Delete(path);
}

if (which is "spare-core")
{
    // The pool needs the reactor thread besides its workers; direct ADO.NET needs only its threads. One worker against
    // one direct thread leaves the reactor a core of its own on a 2-core machine: what the hand-over costs when it
    // does not have to take CPU from the queries.
    var path = Path.Combine(Path.GetTempPath(), $"asynccore-bench-{Guid.NewGuid():N}.db");
    var cs = $"Data Source={path}";
    Setup(SqliteFactory.Instance, cs);
    foreach (var (label, sql) in Queries())
    {
        foreach (var inFlight in new[] { 10, 50 })
        {
            await Cell("SQLite", label, inFlight,
            [
                ("pool, threads (Max=1)", "direct ADO.NET, 1 thread", () => MeasurePool(SqliteFactory.Instance, cs, sql, inFlight, 1, PoolMode.Threads)),
                ("direct ADO.NET, 1 thread", null, () => Task.FromResult(MeasureDirectThreads(SqliteFactory.Instance, cs, sql, 1))),
            ]);
        }
    }
    SqliteConnection.ClearAllPools();
    File.Delete(path);
}

if (which is "all" or "pg")
{
    var cs = Environment.GetEnvironmentVariable("ASYNCCORE_PG");
    if (string.IsNullOrEmpty(cs))
    {
        Console.Error.WriteLine("ASYNCCORE_PG is not set: PostgreSQL rows skipped (bash eng/services.sh start).");
    }
    else
    {
        Setup(NpgsqlFactory.Instance, cs);
        foreach (var (label, sql) in Queries())
        {
            foreach (var inFlight in new[] { 10, 50 })
            {
                // One connection per call in flight, for every runner. Thread mode is compared with as many threads
                // running the synchronous API; async mode with as many concurrent async loops.
                var directThreads = $"direct Npgsql sync, {inFlight} threads";
                var directAsync = $"direct Npgsql async, {inFlight} connections";
                await Cell("PostgreSQL", label, inFlight,
                [
                    ($"pool, threads (Max={inFlight})", directThreads, () => MeasurePool(NpgsqlFactory.Instance, cs, sql, inFlight, inFlight, PoolMode.Threads)),
                    ($"pool, async mode (Max={inFlight})", directAsync, () => MeasurePool(NpgsqlFactory.Instance, cs, sql, inFlight, inFlight, PoolMode.Async)),
                    (directThreads, null, () => Task.FromResult(MeasureDirectThreads(NpgsqlFactory.Instance, cs, sql, inFlight))),
                    (directAsync, null, () => MeasureDirectAsync(NpgsqlFactory.Instance, cs, sql, inFlight)),
                ]);
            }
        }
    }
}

reactorThread.Stop();
reactorThread.Join(TimeSpan.FromSeconds(30));
return;

// Runs every runner of one cell `rounds` times, interleaved, and prints each one's median (and its ratio to the
// direct runner it is compared with).
async Task Cell(string db, string query, int inFlight, (string Name, string? Versus, Func<Task<double>> Measure)[] runners)
{
    if (filter is not null)
    {
        runners = [.. runners.Where(r => $"{db}|{query}|{inFlight}|{r.Name}".Contains(filter, StringComparison.Ordinal))];
    }
    // rates[runner][round]
    var rates = runners.Select(_ => new double[rounds]).ToArray();
    for (var round = 0; round < rounds; round++)
    {
        for (var k = 0; k < runners.Length; k++)
        {
            var i = (round + k) % runners.Length;
            rates[i][round] = await runners[i].Measure();
        }
    }
    var directAsync = Array.FindIndex(runners, r => r.Name.StartsWith("direct Npgsql async", StringComparison.Ordinal));
    for (var i = 0; i < runners.Length; i++)
    {
        var mine = rates[i];
        var versus = Array.FindIndex(runners, r => r.Name == runners[i].Versus);
        var ratio = versus >= 0 ? Ratios(mine, rates[versus]) : "";
        var ratioAsync = directAsync >= 0 && runners[i].Name.StartsWith("pool", StringComparison.Ordinal) ? Ratios(mine, rates[directAsync]) : "";
        var ownCost = versus >= 0 && cores == 1
            ? Summary(mine.Zip(rates[versus], (pool, direct) => (1 / pool - 1 / direct) * 1e6).ToArray())
            : "";
        Console.WriteLine($"| {db} | {query} | {inFlight} | {runners[i].Name} | {Median(mine):N0} | {mine.Min():N0}-{mine.Max():N0} | {ratio} | {ratioAsync} | {ownCost} |");
    }

    static string Ratios(double[] mine, double[] theirs) => Summary(mine.Zip(theirs, (a, b) => a / b).ToArray(), "x");
}

static double Median(double[] values) => values.Order().ElementAt(values.Length / 2);

// "median (min-max)" of per-round values, each followed by unit.
static string Summary(double[] values, string unit = "")
{
    static string F(double value) => value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
    return $"{F(Median(values))}{unit} ({F(values.Min())}{unit}-{F(values.Max())}{unit})";
}

static IEnumerable<(string, string)> Queries() => [("SELECT 1", "SELECT 1"), ("10-row select", "SELECT id, name FROM bench_rows ORDER BY id LIMIT 10")];

static void Setup(DbProviderFactory factory, string cs)
{
    using var connection = Open(factory, cs);
    foreach (var sql in new[]
    {
        "DROP TABLE IF EXISTS bench_rows",
        "CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, name VARCHAR(50))",
    })
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
    for (var i = 0; i < 100; i++)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO bench_rows VALUES ({i}, 'name {i}')";
        command.ExecuteNonQuery();
    }
}

static DbConnection Open(DbProviderFactory factory, string cs)
{
    var connection = factory.CreateConnection()!;
    connection.ConnectionString = cs;
    connection.Open();
    return connection;
}

async Task<double> MeasurePool(DbProviderFactory factory, string cs, string sql, int inFlight, int max, PoolMode mode)
{
    var pool = await OnReactor(() => new ConnectionPool(factory, cs, reactor, new ConnectionPoolOptions { Min = max, Max = max, Mode = mode }));
    await RunFor(pool, sql, inFlight, TimeSpan.FromSeconds(0.5)); // warm-up: connections, prepared commands, JIT
    var cpu = ProcessCpu();
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    var rate = await RunFor(pool, sql, inFlight, duration);
    ReportCpu(cpu, rate, allocated);
    var closed = new TaskCompletionSource();
    reactor.CallFromThread(() => pool.Close().AddCallback(_ => closed.SetResult()));
    await closed.Task;
    return rate;
}

// Keeps inFlight calls outstanding from the reactor thread: each completion (on the reactor thread) issues the next.
Task<double> RunFor(ConnectionPool pool, string sql, int inFlight, TimeSpan length)
{
    var done = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
    reactor.CallFromThread(() =>
    {
        long count = 0;
        var outstanding = 0;
        var clock = Stopwatch.StartNew();
        // The callbacks are made once, not per call: the loop measures the pool, not delegate allocation.
        Func<IReadOnlyList<Row>, object?>? onRows = null;
        Func<Failure, object?> onFailure = failure =>
        {
            done.TrySetException(failure.Value);
            return null;
        };
        onRows = rows =>
        {
            outstanding--;
            count++;
            if (clock.Elapsed < length)
            {
                Issue();
            }
            else if (outstanding == 0)
            {
                done.SetResult(count / clock.Elapsed.TotalSeconds);
            }
            return null;
        };
        void Issue()
        {
            outstanding++;
            pool.RunQuery(sql).AddCallbacks(onRows!, onFailure);
        }
        for (var i = 0; i < inFlight; i++)
        {
            Issue();
        }
    });
    return done.Task;
}

// The whole process's CPU time (every thread: reactor, workers, runtime), for CPU per call.
static TimeSpan ProcessCpu()
{
    using var self = Process.GetCurrentProcess();
    return self.TotalProcessorTime;
}

// With a filter (one runner, for a profiler or an A/B run), also the process CPU and the bytes allocated per call over
// the measured period: on a shared machine the rate moves with the neighbours' load, the CPU a call costs much less,
// and the allocations not at all.
void ReportCpu(TimeSpan before, double rate, long allocatedBefore)
{
    if (filter is not null)
    {
        var calls = rate * duration.TotalSeconds;
        var bytes = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / calls;
        Console.Error.WriteLine($"  {rate:N0} calls/s, {(ProcessCpu() - before).TotalMicroseconds / calls:0.00} µs CPU per call, {bytes:0} bytes allocated per call");
    }
}

Task<T> OnReactor<T>(Func<T> f)
{
    var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
    reactor.CallFromThread(() => done.SetResult(f()));
    return done.Task;
}

double MeasureDirectThreads(DbProviderFactory factory, string cs, string sql, int threads)
{
    long total = 0;
    var start = new Barrier(threads + 1);
    var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
    {
        using var connection = Open(factory, cs);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        // One command reused, as the pool's command cache does. SQLite: prepared (the pool's cached command keeps its
        // statement prepared too). Npgsql: not prepared server-side, as the pool does not.
        if (command is SqliteCommand)
        {
            command.Prepare();
        }
        Read(command); // warm-up
        start.SignalAndWait();
        var clock = Stopwatch.StartNew();
        long n = 0;
        while (clock.Elapsed < duration)
        {
            Read(command);
            n++;
        }
        Interlocked.Add(ref total, n);
    })).ToList();
    workers.ForEach(t => t.Start());
    start.SignalAndWait();
    var cpu = ProcessCpu();
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    var clock = Stopwatch.StartNew();
    workers.ForEach(t => t.Join());
    var rate = total / clock.Elapsed.TotalSeconds;
    ReportCpu(cpu, rate, allocated);
    return rate;

    // The same work as the pool's RunQuery: every row's values materialised.
    static void Read(DbCommand command)
    {
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
        }
    }
}

async Task<double> MeasureDirectAsync(DbProviderFactory factory, string cs, string sql, int concurrency)
{
    long total = 0;
    var clock = new Stopwatch();
    var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var connections = new List<DbConnection>();
    for (var i = 0; i < concurrency; i++)
    {
        var c = factory.CreateConnection()!;
        c.ConnectionString = cs;
        await c.OpenAsync();
        connections.Add(c);
    }
    clock.Start();
    var tasks = connections.Select(async connection =>
    {
        await Task.Yield();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        long n = 0;
        while (clock.Elapsed < duration)
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var values = new object[reader.FieldCount];
                reader.GetValues(values);
            }
            n++;
        }
        Interlocked.Add(ref total, n);
    }).ToList();
    await Task.WhenAll(tasks);
    var rate = total / clock.Elapsed.TotalSeconds;
    foreach (var c in connections)
    {
        await c.DisposeAsync();
    }
    return rate;
}
