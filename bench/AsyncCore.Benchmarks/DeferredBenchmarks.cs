using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace AsyncCore.Benchmarks;

/// <summary>
/// Deferred hot paths against the Task-based baselines measured in the same run (issue 2's table).
/// Each pair does the same logical work: a result passing through three continuations.
/// </summary>
[MemoryDiagnoser]
public class DeferredBenchmarks
{
    private static readonly Func<int, int> s_increment = static x => x + 1;
    private static readonly Func<Task<int>, int> s_taskIncrement = static t => t.Result + 1;
    private Deferred<int>[] _list = [];

    [Benchmark(Baseline = true, Description = "TaskCompletionSource + 3 ContinueWith")]
    public int Tcs_ThreeContinueWith()
    {
        var tcs = new TaskCompletionSource<int>();
        var t = tcs.Task
            .ContinueWith(s_taskIncrement, TaskContinuationOptions.ExecuteSynchronously)
            .ContinueWith(s_taskIncrement, TaskContinuationOptions.ExecuteSynchronously)
            .ContinueWith(s_taskIncrement, TaskContinuationOptions.ExecuteSynchronously);
        tcs.SetResult(1);
        return t.Result;
    }

    [Benchmark(Description = "Deferred: create + 3 callbacks + fire")]
    public int Deferred_ThreeCallbacksThenFire()
    {
        var d = new Deferred<int>();
        d.AddCallback(s_increment).AddCallback(s_increment).AddCallback(s_increment);
        d.Callback(1);
        return d.Result;
    }

    [Benchmark(Description = "Deferred: callback returns an already-fired Deferred")]
    public int Deferred_ChainFired()
    {
        var d = new Deferred<int>();
        var chained = d.AddCallback(static x => Deferred.Succeed(x + 1));
        d.Callback(1);
        return chained.Result;
    }

    [Benchmark(Description = "async Task awaiting 3 completed tasks")]
    public int AsyncTask_AwaitThreeCompleted() => AwaitTasks().Result;

    [Benchmark(Description = "async Task awaiting 3 completed tasks, result not cached")]
    public int AsyncTask_AwaitThreeCompletedUncached() => AwaitTasksUncachedSum().Result;

    [Benchmark(Description = "async Deferred awaiting 3 fired Deferreds")]
    public int AsyncDeferred_AwaitThreeFired()
    {
        // Fresh fired Deferreds each time: awaiting consumes a Deferred's result.
        return AwaitDeferreds(Deferred.Succeed(1), Deferred.Succeed(2), Deferred.Succeed(3)).Result;
    }

    // Like for like: every awaited value is made fresh in each operation (uncached values, so Task.FromResult allocates
    // as Deferred.Succeed does), and the method's own result is not a cached task either.
    private int _a = 100, _b = 200, _c = 300;

    [Benchmark(Description = "async Task awaiting 3 fresh Task.FromResult (uncached values)")]
    public int AsyncTask_AwaitThreeFresh() => AwaitTaskArgs(Task.FromResult(_a), Task.FromResult(_b), Task.FromResult(_c)).Result;

    [Benchmark(Description = "async Deferred awaiting 3 fresh Deferred.Succeed (same values)")]
    public int AsyncDeferred_AwaitThreeFresh() => AwaitDeferreds(Deferred.Succeed(_a), Deferred.Succeed(_b), Deferred.Succeed(_c)).Result;

    [Benchmark(Description = "await an already-fired Deferred (no suspension)")]
    public int AwaitFired() => AwaitOne(Deferred.Succeed(5)).Result;

    [Benchmark(Description = "DeferredList of 100 fired Deferreds")]
    public int DeferredList_Hundred()
    {
        var inputs = new Deferred<int>[100];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = Deferred.Succeed(i);
        }
        var list = new DeferredList<int>(inputs);
        return list.Result.Count;
    }

    [Benchmark(Description = "Task.WhenAll of 100 completed tasks")]
    public int WhenAll_Hundred()
    {
        var inputs = new Task<int>[100];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = Task.FromResult(i);
        }
        return Task.WhenAll(inputs).Result.Length;
    }

    // The inputs alone, to split the list benchmarks above into making the inputs and collecting them.
    [Benchmark(Description = "100 Deferred.Succeed (the DeferredList benchmark's inputs)")]
    public int Succeed_Hundred()
    {
        var inputs = new Deferred<int>[100];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = Deferred.Succeed(i);
        }
        return inputs.Length;
    }

    [Benchmark(Description = "100 Task.FromResult (the WhenAll benchmark's inputs)")]
    public int FromResult_Hundred()
    {
        var inputs = new Task<int>[100];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = Task.FromResult(i);
        }
        return inputs.Length;
    }

    private static readonly Task<int> s_one = Task.FromResult(1);
    private static readonly Task<int> s_two = Task.FromResult(2);
    private static readonly Task<int> s_three = Task.FromResult(3);
    private static readonly Task<int> s_ten = Task.FromResult(10);
    private static readonly Task<int> s_twenty = Task.FromResult(20);
    private static readonly Task<int> s_thirty = Task.FromResult(30);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<int> AwaitTasksUncachedSum() => await s_ten + await s_twenty + await s_thirty;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<int> AwaitTaskArgs(Task<int> a, Task<int> b, Task<int> c) => await a + await b + await c;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<int> AwaitTasks() => await s_one + await s_two + await s_three;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Deferred<int> AwaitDeferreds(Deferred<int> a, Deferred<int> b, Deferred<int> c) => await a + await b + await c;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Deferred<int> AwaitOne(Deferred<int> a) => await a;
}
