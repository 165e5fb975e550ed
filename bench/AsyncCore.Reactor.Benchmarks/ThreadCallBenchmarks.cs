using System.Threading.Channels;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace AsyncCore.Reactor.Benchmarks;

/// <summary>
/// Handing work to one consumer thread from another thread: the reactor's CallFromThread against a Channel&lt;Action&gt;
/// drained by one dedicated thread, and Task.Run + await. Each operation is one call; results are per call.
/// </summary>
/// <remarks>Grouped by category so that each category's Ratio column compares with its own Channel baseline.</remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ThreadCallBenchmarks
{
    private const int Batch = 10_000;
    private const int RoundTrips = 1_000;

    private EventLoopReactor _reactor = null!;
    private ReactorThread _reactorThread = null!;
    private Channel<Action> _channel = null!;
    private Thread _channelThread = null!;
    private readonly ManualResetEventSlim _done = new(false, 100);
    private int _remaining;
    private Action _countDown = null!;

    [GlobalSetup]
    public void Setup()
    {
        // Default options: the stall detector is on, as users get it.
        _reactor = new EventLoopReactor(new ReactorOptions { Name = "bench" });
        _reactorThread = _reactor.RunInBackground();
        _channel = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
        _channelThread = new Thread(DrainChannel) { IsBackground = true, Name = "channel drain" };
        _channelThread.Start();
        _countDown = () =>
        {
            if (--_remaining == 0)
            {
                _done.Set();
            }
        };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _reactorThread.Dispose();
        _channel.Writer.Complete();
        _channelThread.Join();
    }

    private void DrainChannel()
    {
        var reader = _channel.Reader;
        while (true)
        {
            if (reader.TryRead(out var action))
            {
                action();
                continue;
            }
            if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return;
            }
        }
    }

    // ---- round trips: post one call, wait until it ran, repeat -----------------------------------------------------

    [Benchmark(OperationsPerInvoke = RoundTrips, Baseline = true)]
    [BenchmarkCategory("RoundTrip")]
    public void RoundTrip_Channel()
    {
        Action signal = _done.Set;
        for (var i = 0; i < RoundTrips; i++)
        {
            _done.Reset();
            _channel.Writer.TryWrite(signal);
            _done.Wait();
        }
    }

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    [BenchmarkCategory("RoundTrip")]
    public void RoundTrip_CallFromThread()
    {
        Action signal = _done.Set;
        for (var i = 0; i < RoundTrips; i++)
        {
            _done.Reset();
            _reactor.CallFromThread(signal);
            _done.Wait();
        }
    }

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    [BenchmarkCategory("RoundTrip")]
    public async Task RoundTrip_TaskRunAwait()
    {
        for (var i = 0; i < RoundTrips; i++)
        {
            await Task.Run(static () => { });
        }
    }

    // ---- throughput: post a batch of calls from one thread, wait for the last -------------------------------------

    [Benchmark(OperationsPerInvoke = Batch, Baseline = true)]
    [BenchmarkCategory("Throughput")]
    public void Throughput_Channel()
    {
        _remaining = Batch;
        _done.Reset();
        var writer = _channel.Writer;
        for (var i = 0; i < Batch; i++)
        {
            writer.TryWrite(_countDown);
        }
        _done.Wait();
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory("Throughput")]
    public void Throughput_CallFromThread()
    {
        _remaining = Batch;
        _done.Reset();
        for (var i = 0; i < Batch; i++)
        {
            _reactor.CallFromThread(_countDown);
        }
        _done.Wait();
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory("Throughput")]
    public void Throughput_TaskRun()
    {
        _remaining = Batch;
        _done.Reset();
        for (var i = 0; i < Batch; i++)
        {
            _ = Task.Run(() =>
            {
                if (Interlocked.Decrement(ref _remaining) == 0)
                {
                    _done.Set();
                }
            });
        }
        _done.Wait();
    }

    // ---- CallLater(0) on the reactor thread -----------------------------------------------------------------------

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory("CallLaterZero")]
    public void Throughput_CallLaterZero()
    {
        _remaining = Batch;
        _done.Reset();
        _reactor.CallFromThread(() =>
        {
            for (var i = 0; i < Batch; i++)
            {
                _reactor.CallLater(TimeSpan.Zero, _countDown);
            }
        });
        _done.Wait();
    }
}
