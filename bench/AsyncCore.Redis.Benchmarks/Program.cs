// GET/SET throughput: AsyncCore.Redis (replies as Deferreds on the reactor thread) against direct StackExchange.Redis
// `await` in the same run, 1 and 50 commands in flight and pipelined batches of 100, interleaved rounds after a warm-up.
//
//   dotnet run -c Release --project bench/AsyncCore.Redis.Benchmarks -- [seconds per run] [rounds]
//   ... -- SECONDS 0 ac|se GET|SET "in flight"|"batches of 100" IN_FLIGHT     (one runner alone, for a profiler)
//
// ASYNCCORE_REDIS names the server (eval "$(bash eng/services.sh start-redis)"). ASYNCCORE_BENCH_SPIN=never|adaptive|always
// sets the reactor's ReactorOptions.SpinBeforeSleep (default: adaptive, the library's). See bench/README-redis.md.
using System.Diagnostics;
using System.Globalization;
using AsyncCore;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Redis;
using StackExchange.Redis;

var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
var server = Environment.GetEnvironmentVariable("ASYNCCORE_REDIS");
if (string.IsNullOrEmpty(server))
{
    Console.Error.WriteLine("ASYNCCORE_REDIS is not set (eval \"$(bash eng/services.sh start-redis)\").");
    return 2;
}
var length = TimeSpan.FromSeconds(seconds);
const int BatchSize = 100;
RedisKey key = "bench:key";
RedisValue value = new string('x', 16);

// The reactor a user gets by default (EpollReactor on Linux); ASYNCCORE_REACTOR=eventloop measures the portable one.
var spin = Environment.GetEnvironmentVariable("ASYNCCORE_BENCH_SPIN") is { Length: > 0 } named
    ? Enum.Parse<SpinPolicy>(named, ignoreCase: true)
    : SpinPolicy.Adaptive;
Console.WriteLine($"# SpinBeforeSleep: {spin}");
using var reactor = ReactorFactory.Create(ReactorKind.Default, new ReactorOptions { SpinBeforeSleep = spin });
using var reactorThread = reactor.RunInBackground();
var client = await OnReactor(() => RedisClient.Connect(reactor, server));
// Direct StackExchange.Redis gets a multiplexer of its own, so that neither side queues behind the other's commands.
await using var direct = await ConnectionMultiplexer.ConnectAsync(server);
var db = direct.GetDatabase();
await db.StringSetAsync(key, value);

// One runner alone, for a profiler: `... SECONDS 0 ac|se GET|SET "in flight"|"batches of 100" IN_FLIGHT`.
if (args.Length == 6)
{
    var (op, mode, inFlight) = (args[3], args[4], int.Parse(args[5], CultureInfo.InvariantCulture));
    var rate = args[2] == "ac" ? await AsyncCoreRun(op, mode, inFlight) : await DirectRun(op, mode, inFlight);
    Console.WriteLine($"{args[2]} {op} {mode} {inFlight}: {rate:N0} ops/s");
    await OnReactor(() => client.CloseAsync());
    return 0;
}

var cells = new (string Op, string Mode, int InFlight)[]
{
    ("GET", "in flight", 1), ("GET", "in flight", 50), ("GET", "batches of 100", 1),
    ("SET", "in flight", 1), ("SET", "in flight", 50), ("SET", "batches of 100", 1),
};
var results = cells.ToDictionary(c => c, _ => (Ac: new List<double>(), Se: new List<double>()));

Console.Error.WriteLine($"warm-up, then {rounds} rounds of {seconds}s per runner; load average {File.ReadAllText("/proc/loadavg").Trim()}");
for (var round = -1; round < rounds; round++)
{
    foreach (var cell in cells)
    {
        // Alternate which runner goes first, so that neither always runs on a warmer (or more loaded) machine.
        var acFirst = round % 2 == 0;
        double ac = 0, se = 0;
        for (var turn = 0; turn < 2; turn++)
        {
            if ((turn == 0) == acFirst)
            {
                ac = await AsyncCoreRun(cell.Op, cell.Mode, cell.InFlight);
            }
            else
            {
                se = await DirectRun(cell.Op, cell.Mode, cell.InFlight);
            }
        }
        if (round >= 0)
        {
            results[cell].Ac.Add(ac);
            results[cell].Se.Add(se);
        }
    }
    Console.Error.WriteLine(round < 0 ? "warm-up done" : $"round {round + 1} done");
}

Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine($"| command | mode | in flight | AsyncCore.Redis ops/s (median, min-max) | StackExchange.Redis ops/s (median, min-max) | ratio (median, min-max of the {rounds} rounds) |");
Console.WriteLine("|---|---|---:|---:|---:|---:|");
foreach (var cell in cells)
{
    var (acs, ses) = results[cell];
    var ratios = acs.Zip(ses, (a, s) => a / s).ToList();
    Console.WriteLine(
        $"| {cell.Op} | {cell.Mode} | {(cell.Mode == "in flight" ? cell.InFlight : BatchSize)} | {Median(acs):N0} ({acs.Min():N0}-{acs.Max():N0}) | " +
        $"{Median(ses):N0} ({ses.Min():N0}-{ses.Max():N0}) | {Median(ratios):F2}x ({ratios.Min():F2}-{ratios.Max():F2}) |");
}
await OnReactor(() => client.CloseAsync());
return 0;

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

// Keeps inFlight commands (or one batch) outstanding from the reactor thread: each reply, delivered on the reactor
// thread, issues the next.
Task<double> AsyncCoreRun(string op, string mode, int inFlight)
{
    var done = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
    reactor.CallFromThread(() =>
    {
        long count = 0;
        var outstanding = 0;
        var clock = Stopwatch.StartNew();
        Func<Failure, object?> onFailure = failure =>
        {
            done.TrySetException(failure.Value);
            return null;
        };
        Func<RedisValue, object?>? onGet = null;
        Func<bool, object?>? onSet = null;
        Func<object?, object?>? onBatch = null;
        void Completed(long n)
        {
            outstanding--;
            count += n;
            if (clock.Elapsed < length)
            {
                Issue();
            }
            else if (outstanding == 0)
            {
                done.TrySetResult(count / clock.Elapsed.TotalSeconds);
            }
        }
        // The callbacks are made once, not per command: the loop measures the client, not delegate allocation.
        onGet = _ =>
        {
            Completed(1);
            return null;
        };
        onSet = _ =>
        {
            Completed(1);
            return null;
        };
        onBatch = _ =>
        {
            Completed(BatchSize);
            return null;
        };
        void Issue()
        {
            outstanding++;
            if (mode == "in flight")
            {
                if (op == "GET")
                {
                    client.Get(key).AddCallbacks(onGet!, onFailure);
                }
                else
                {
                    client.Set(key, value).AddCallbacks(onSet!, onFailure);
                }
                return;
            }
            var batch = client.CreateBatch();
            for (var i = 0; i < BatchSize; i++)
            {
                _ = op == "GET" ? (Deferred)batch.Get(key) : batch.Set(key, value);
            }
            batch.Execute().AddCallbacks(onBatch!, onFailure);
        }
        for (var i = 0; i < inFlight; i++)
        {
            Issue();
        }
    });
    return done.Task;
}

// The same with direct StackExchange.Redis: inFlight async loops awaiting each command (or each batch) in turn.
async Task<double> DirectRun(string op, string mode, int inFlight)
{
    long count = 0;
    var clock = Stopwatch.StartNew();
    async Task Loop()
    {
        var tasks = new Task[BatchSize];
        while (clock.Elapsed < length)
        {
            if (mode == "in flight")
            {
                if (op == "GET")
                {
                    await db.StringGetAsync(key);
                }
                else
                {
                    await db.StringSetAsync(key, value);
                }
                Interlocked.Increment(ref count);
                continue;
            }
            var batch = db.CreateBatch();
            for (var i = 0; i < BatchSize; i++)
            {
                tasks[i] = op == "GET" ? batch.StringGetAsync(key) : batch.StringSetAsync(key, value);
            }
            batch.Execute();
            await Task.WhenAll(tasks);
            Interlocked.Add(ref count, BatchSize);
        }
    }
    await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Task.Run(Loop)));
    return Interlocked.Read(ref count) / clock.Elapsed.TotalSeconds;
}

Task<T> OnReactor<T>(Func<Deferred<T>> f)
{
    var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
    reactor.CallFromThread(() => f().AddCallbacks(
        (T v) =>
        {
            done.SetResult(v);
            return (object?)null;
        },
        (Failure failure) =>
        {
            done.SetException(failure.Value);
            return (object?)null;
        }));
    return done.Task;
}
