using System.Diagnostics;
using System.Globalization;
using AsyncCore.Benchmarks;
using BenchmarkDotNet.Running;

// Run all: dotnet run -c Release --project bench/AsyncCore.Benchmarks -- --filter '*'
// Profile one benchmark: `loop METHOD SECONDS` calls DeferredBenchmarks.METHOD in a tight loop, for `perf record`
// (bench/profile-deferred.sh); it prints wall and CPU time per call (rough figures) and the bytes allocated per call.
if (args is ["loop", var name, var seconds])
{
    var method = typeof(DeferredBenchmarks).GetMethod(name) ?? throw new ArgumentException($"No benchmark method {name}");
    var run = method.CreateDelegate<Func<DeferredBenchmarks, int>>();
    var target = new DeferredBenchmarks();
    // Two seconds untimed, so that tiered compilation settles, then the measured part. CPU time per call (the whole
    // process, GC included) is reported beside wall time: on a shared machine it moves less than wall time does.
    RunFor(run, target, 2.0);
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var bytes = GC.GetAllocatedBytesForCurrentThread();
    var start = Stopwatch.GetTimestamp();
    var calls = RunFor(run, target, double.Parse(seconds, CultureInfo.InvariantCulture));
    var wall = Stopwatch.GetElapsedTime(start);
    cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
    bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
    Console.WriteLine($"{name}: {wall.TotalNanoseconds / calls:F1} ns/call wall, {cpu.TotalNanoseconds / calls:F1} ns/call CPU, {(double)bytes / calls:F0} B/call");
    return;
}

static long RunFor(Func<DeferredBenchmarks, int> run, DeferredBenchmarks target, double seconds)
{
    var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
    long calls = 0;
    while (Stopwatch.GetTimestamp() < until)
    {
        for (var i = 0; i < 1000; i++)
        {
            run(target);
        }
        calls += 1000;
    }
    return calls;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
