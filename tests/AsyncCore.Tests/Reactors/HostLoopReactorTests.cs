using System.Collections.Concurrent;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Tests.Reactor;

namespace AsyncCore.Tests.Reactors;

/// <summary>A reactor on a host's single-threaded loop, as on a UI thread.</summary>
public sealed class HostLoopReactorTests : IDisposable
{
    private readonly SingleThreadLoop _loop = new();

    public void Dispose() => _loop.Dispose();

    private HostLoopReactor Start()
    {
        var reactor = new HostLoopReactor(_loop.Context, new ReactorOptions { LoggerFactory = new LogCapture() });
        reactor.Start();
        return reactor;
    }

    [Fact]
    public void Start_RunsStartupTriggersAndCallWhenRunningOnTheHostThread()
    {
        var reactor = new HostLoopReactor(_loop.Context, new ReactorOptions { LoggerFactory = new LogCapture() });
        var threads = new ConcurrentQueue<int>();
        var running = new ManualResetEventSlim();
        reactor.CallWhenRunning(() =>
        {
            threads.Enqueue(Environment.CurrentManagedThreadId);
            running.Set();
        });
        reactor.Start();
        running.WaitOrFail("startup");
        Assert.Equal([_loop.ThreadId], threads);
        Assert.True(reactor.Running);
        Assert.Throws<ReactorAlreadyRunningException>(reactor.Start);
    }

    [Fact]
    public void CallFromThread_FromManyThreads_RunsOnTheHostThreadInOrder()
    {
        var reactor = Start();
        var seen = new List<(int Thread, int Index, bool OnHost)>();
        var done = new CountdownEvent(4 * 500);
        var workers = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                var index = i;
                reactor.CallFromThread(() =>
                {
                    seen.Add((t, index, Environment.CurrentManagedThreadId == _loop.ThreadId));
                    done.Signal();
                });
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        Assert.True(done.Wait(ReactorTestSupport.Patience, TestContext.Current.CancellationToken));
        workers.ForEach(w => w.Join());
        var all = reactor.OnReactor(() => seen.ToList());
        Assert.All(all, s => Assert.True(s.OnHost));
        for (var t = 0; t < 4; t++)
        {
            Assert.Equal(Enumerable.Range(0, 500), all.Where(s => s.Thread == t).Select(s => s.Index));
        }
    }

    [Fact]
    public void CallLater_ScheduledFromAHostCallbackOutsideAPass_FiresInOrderOnTheHost()
    {
        var reactor = Start();
        var order = new ConcurrentQueue<string>();
        var done = new ManualResetEventSlim();
        // Like a button handler: runs on the host thread but not inside a reactor pass.
        _loop.Context.Post(_ =>
        {
            reactor.CallLater(TimeSpan.FromMilliseconds(20), () =>
            {
                order.Enqueue("second");
                done.Set();
            });
            reactor.CallLater(TimeSpan.FromMilliseconds(5), () => order.Enqueue("first"));
        }, null);
        done.WaitOrFail("the timers");
        Assert.Equal(["first", "second"], order);
    }

    [Fact]
    public void Stop_RunsShutdownTriggersAndCompletes()
    {
        var reactor = Start();
        var events = new ConcurrentQueue<string>();
        reactor.OnReactor(() =>
        {
            reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () =>
            {
                var d = new Deferred<int>();
                reactor.CallLater(TimeSpan.FromMilliseconds(10), () =>
                {
                    events.Enqueue("before done");
                    d.Callback(0);
                });
                return d;
            });
            reactor.AddSystemEventTrigger(SystemEventPhase.After, SystemEvents.Shutdown, () => events.Enqueue("after"));
            return 0;
        });
        reactor.Stop();
        reactor.Completion.WaitOrFail("shutdown");
        Assert.Equal(["before done", "after"], events);
        Assert.False(reactor.Running);
        Assert.Throws<ReactorNotRestartableException>(reactor.Start);
    }

    [Fact]
    public void AsyncDeferredMethod_AwaitingATask_ResumesOnTheHostThread()
    {
        var reactor = Start();
        var threads = new ConcurrentQueue<bool>();
        var done = new ManualResetEventSlim();
        async Deferred<int> WorkAsync()
        {
            threads.Enqueue(reactor.IsReactorThread);
            await Task.Delay(5);
            threads.Enqueue(reactor.IsReactorThread);
            return 1;
        }
        reactor.CallFromThread(() => WorkAsync().AddCallback(_ => done.Set()));
        done.WaitOrFail("the async method");
        Assert.Equal([true, true], threads);
    }

    [Fact]
    public void Shutdown_ReportsFailuresNobodyConsumed_IncludingOnesFromHostCallbacksBetweenPasses()
    {
        var logs = new LogCapture();
        var reactor = new HostLoopReactor(_loop.Context, new ReactorOptions { LoggerFactory = logs });
        reactor.Start();
        var kept = new ConcurrentQueue<Deferred>();
        var posted = new ManualResetEventSlim();
        // A host callback (a button handler, say) runs on the reactor thread outside any pass.
        _loop.Context.Post(_ =>
        {
            kept.Enqueue(Deferred.Fail<int>(new IOException("from the host")));
            posted.Set();
        }, null);
        posted.WaitOrFail("the host callback");
        reactor.CallFromThread(() => kept.Enqueue(Deferred.Fail<int>(new IOException("from a pass"))));

        reactor.CallFromThread(reactor.Stop);
        reactor.Completion.WaitOrFail("shutdown");

        var reports = logs.Entries.Where(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Critical).Select(e => e.Message).ToList();
        Assert.Equal(2, reports.Count);
        Assert.Contains(reports, m => m.Contains("from the host", StringComparison.Ordinal));
        Assert.Contains(reports, m => m.Contains("from a pass", StringComparison.Ordinal));
        GC.KeepAlive(kept);
    }

    [Fact]
    public void Dispose_FromAnotherThreadWhileRunning_StopsAndWaitsForTheShutdown()
    {
        var reactor = new HostLoopReactor(_loop.Context, new ReactorOptions { LoggerFactory = new LogCapture() });
        var shutdownRan = 0;
        var started = new ManualResetEventSlim();
        reactor.CallWhenRunning(started.Set);
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => Volatile.Write(ref shutdownRan, 1));
        reactor.Start();
        started.WaitOrFail("startup");
        reactor.Dispose();
        Assert.True(reactor.Completion.IsCompletedSuccessfully);
        Assert.Equal(1, Volatile.Read(ref shutdownRan));
        Assert.False(reactor.Running);
    }

    [Fact]
    public async Task DisposeAsync_WhileRunning_CompletesAfterTheShutdown()
    {
        var reactor = new HostLoopReactor(_loop.Context, new ReactorOptions { LoggerFactory = new LogCapture() });
        var started = new ManualResetEventSlim();
        reactor.CallWhenRunning(started.Set);
        reactor.Start();
        started.WaitOrFail("startup");
        await reactor.DisposeAsync();
        Assert.True(reactor.Completion.IsCompletedSuccessfully);
    }

    /// <summary>A minimal UI-like loop: one thread running posted callbacks in order.</summary>
    private sealed class SingleThreadLoop : IDisposable
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];
        private readonly Thread _thread;

        public SingleThreadLoop()
        {
            Context = new LoopContext(this);
            var started = new ManualResetEventSlim();
            _thread = new Thread(() =>
            {
                SynchronizationContext.SetSynchronizationContext(Context);
                started.Set();
                foreach (var (callback, state) in _queue.GetConsumingEnumerable())
                {
                    callback(state);
                }
            })
            { IsBackground = true, Name = "host loop" };
            _thread.Start();
            started.Wait();
        }

        public SynchronizationContext Context { get; }

        public int ThreadId => _thread.ManagedThreadId;

        public void Dispose()
        {
            _queue.CompleteAdding();
            _thread.Join();
            _queue.Dispose();
        }

        private sealed class LoopContext(SingleThreadLoop loop) : SynchronizationContext
        {
            public override void Post(SendOrPostCallback d, object? state)
            {
                if (!loop._queue.IsAddingCompleted)
                {
                    loop._queue.Add((d, state));
                }
            }

            public override SynchronizationContext CreateCopy() => this;
        }
    }
}
