using AsyncCore.Reactor;
using AsyncCore.Reactors;
using BenchmarkDotNet.Attributes;

namespace AsyncCore.Reactor.Benchmarks;

/// <summary>
/// Timer heap cost per operation with N pending timers (insert, cancel, fire), measured on the reactor thread of a
/// running reactor. O(log n): the per-operation time should grow only slightly from 1,000 to 100,000.
/// </summary>
[MemoryDiagnoser]
public class TimerBenchmarks
{
    private EventLoopReactor _reactor = null!;
    private ReactorThread _thread = null!;
    private TimeSpan[] _delays = null!;
    private IDelayedCall[] _calls = null!;

    [Params(1_000, 100_000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _reactor = new EventLoopReactor(new ReactorOptions { Name = "timer-bench", StallThreshold = Timeout.InfiniteTimeSpan });
        _thread = _reactor.RunInBackground();
        var random = new Random(42);
        _delays = Enumerable.Range(0, N).Select(_ => TimeSpan.FromSeconds(3600 + (random.NextDouble() * 3600))).ToArray();
        _calls = new IDelayedCall[N];
    }

    [GlobalCleanup]
    public void Cleanup() => _thread.Dispose();

    private void OnReactor(Action action)
    {
        using var done = new ManualResetEventSlim();
        _reactor.CallFromThread(() =>
        {
            action();
            done.Set();
        });
        done.Wait();
    }

    /// <summary>Insert N timers (random far-future times) then cancel them all in random order: 2N operations.</summary>
    [Benchmark]
    public void InsertThenCancel()
    {
        OnReactor(() =>
        {
            Action noop = static () => { };
            for (var i = 0; i < _delays.Length; i++)
            {
                _calls[i] = _reactor.CallLater(_delays[i], noop);
            }
            // Cancel in an order unrelated to heap order (stride through the array).
            var n = _calls.Length;
            for (var i = 0; i < n; i++)
            {
                _calls[(int)((i * 7919L) % n)].Cancel();
            }
        });
    }

    /// <summary>Insert N already-due timers and let the loop fire them all (N inserts + N pops).</summary>
    [Benchmark]
    public void InsertThenFire()
    {
        using var done = new ManualResetEventSlim();
        var remaining = N;
        _reactor.CallFromThread(() =>
        {
            Action tick = () =>
            {
                if (--remaining == 0)
                {
                    done.Set();
                }
            };
            for (var i = 0; i < N; i++)
            {
                _reactor.CallLater(TimeSpan.Zero, tick);
            }
        });
        done.Wait();
    }
}
