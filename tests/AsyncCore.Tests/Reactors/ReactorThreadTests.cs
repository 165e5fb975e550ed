using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Diagnostics.Metrics;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Tests.Reactor;

namespace AsyncCore.Tests.Reactors;

/// <summary>From Twisted's test_internet.py (CallFromThreadTests) and internet/test/test_threads.py.</summary>
public class ReactorThreadTests
{
    [Fact]
    public async Task RunInBackground_TheDefaultReactor_RunsOnItsThreadAndStopsOnDispose()
    {
        // What ReactorFactory gives (EpollReactor on Linux) runs in the background like EventLoopReactor does.
        var reactor = ReactorFactory.Create(options: new ReactorOptions { LoggerFactory = new LogCapture() });
        var running = reactor.RunInBackground();
        var ranOn = await reactor.CallFromThreadAsync(() => Environment.CurrentManagedThreadId);
        Assert.Equal(running.Thread.ManagedThreadId, ranOn);
        Assert.Same(reactor, running.Reactor);

        await running.DisposeAsync();
        Assert.True(running.Completion.IsCompletedSuccessfully);
        Assert.False(reactor.Running);
        reactor.Dispose();
    }

    [Fact]
    public void RunInBackground_AHostLoopReactor_IsRefused()
    {
        using var reactor = new HostLoopReactor(new SynchronizationContext());
        Assert.Throws<ArgumentException>(() => reactor.RunInBackground());
    }

    [Fact]
    public void CallFromThread_From8ThreadsAtOnce_KeepsEachThreadsOrder()
    {
        const int threads = 8;
        const int perThread = 2000;
        var reactor = ReactorTestSupport.Create(out _);
        using var running = reactor.RunInBackground();
        var seen = new List<(int Thread, int Index)>();
        var done = new CountdownEvent(threads * perThread);
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < perThread; i++)
            {
                var index = i;
                reactor.CallFromThread(() =>
                {
                    seen.Add((t, index));
                    done.Signal();
                });
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        Assert.True(done.Wait(ReactorTestSupport.Patience, TestContext.Current.CancellationToken));
        workers.ForEach(w => w.Join());
        var all = reactor.OnReactor(() => seen.ToList());
        Assert.Equal(threads * perThread, all.Count);
        for (var t = 0; t < threads; t++)
        {
            Assert.Equal(Enumerable.Range(0, perThread), all.Where(s => s.Thread == t).Select(s => s.Index));
        }
    }

    [Fact]
    public void CallFromThread_BeforeRun_WaitsForTheReactorToRun()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        reactor.CallFromThread(() => events.Add($"thread call running={reactor.Running}"));
        Assert.Empty(events);
        reactor.CallWhenRunning(() => events.Add("running"));
        reactor.CallFromThread(reactor.Stop);
        reactor.RunWithSafetyNet();
        Assert.Equal(["running", "thread call running=True"], events);
    }

    [Fact]
    public void CallFromThread_OnTheReactorThread_RunsOnTheNextPassNotInline()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var events = new List<string>();
        reactor.CallWhenRunning(() => reactor.CallFromThread(() =>
        {
            reactor.CallFromThread(() =>
            {
                events.Add("inner");
                reactor.Stop();
            });
            events.Add("outer");
        }));
        reactor.RunWithSafetyNet();
        Assert.Equal(["outer", "inner"], events);
    }

    [Fact]
    public void CallFromThread_WhileTheLoopSleepsOnAFarTimer_WakesItAtOnce()
    {
        var reactor = ReactorTestSupport.Create(out _);
        using var running = reactor.RunInBackground();
        reactor.OnReactor(() => reactor.CallLater(TimeSpan.FromHours(1), () => { }));
        Thread.Sleep(20); // let the loop go to sleep on the hour-long timer
        var ran = new ManualResetEventSlim();
        reactor.CallFromThread(ran.Set);
        ran.WaitOrFail("the thread call (the loop was not woken)");
    }

    [Fact]
    public void CallFromThread_ThrowingCall_IsLoggedAndLaterCallsRun()
    {
        var reactor = ReactorTestSupport.Create(out var logs);
        var after = false;
        reactor.CallFromThread(() => throw new InvalidOperationException("thread call failed"));
        reactor.CallFromThread(() =>
        {
            after = true;
            reactor.Stop();
        });
        reactor.RunWithSafetyNet();
        Assert.True(after);
        Assert.Contains(logs.Entries, e => e.Exception?.Message == "thread call failed");
    }

    [Fact]
    public void CallFromThread_WithState_PassesTheState()
    {
        var reactor = ReactorTestSupport.Create(out _);
        object? received = null;
        var state = new object();
        reactor.CallFromThread(s =>
        {
            received = s;
            reactor.Stop();
        }, state);
        reactor.RunWithSafetyNet();
        Assert.Same(state, received);
    }

    [Fact]
    public void IsReactorThread_TrueOnlyOnTheReactorThread()
    {
        var reactor = ReactorTestSupport.Create(out _);
        using var running = reactor.RunInBackground();
        Assert.False(reactor.IsReactorThread);
        Assert.True(reactor.OnReactor(() => reactor.IsReactorThread));
        Assert.Equal(running.Thread.ManagedThreadId, reactor.OnReactor(() => Environment.CurrentManagedThreadId));
    }

    [Fact]
    public void CallInThread_RunsOnAPoolThreadNotTheReactorThread()
    {
        var reactor = ReactorTestSupport.Create(out _);
        using var running = reactor.RunInBackground();
        var onReactor = true;
        var done = new ManualResetEventSlim();
        reactor.CallInThread(() =>
        {
            onReactor = reactor.IsReactorThread;
            done.Set();
        });
        done.WaitOrFail("the pool work");
        Assert.False(onReactor);
        Assert.True(reactor.GetThreadPool().Started);
    }

    [Fact]
    public void SuggestThreadPoolSize_SetsThePoolsMaximum()
    {
        var reactor = ReactorTestSupport.Create(out _);
        reactor.SuggestThreadPoolSize(3);
        Assert.Equal(3, reactor.GetThreadPool().MaxThreads);
        Assert.Same(reactor.GetThreadPool(), reactor.GetThreadPool());
    }

    [Fact]
    public void SynchronizationContext_WhileRunning_IsTheReactorsAndIsRestoredAfterRun()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var outside = SynchronizationContext.Current;
        SynchronizationContext? inside = null;
        reactor.CallWhenRunning(() =>
        {
            inside = SynchronizationContext.Current;
            reactor.Stop();
        });
        reactor.RunWithSafetyNet();
        Assert.Same(reactor.SynchronizationContext, inside);
        Assert.Same(outside, SynchronizationContext.Current);
    }

    [Fact]
    public void AsyncDeferredMethod_AwaitingATask_ResumesOnTheReactorThread()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var threads = new List<bool>();
        async Deferred<int> WorkAsync()
        {
            threads.Add(reactor.IsReactorThread);
            await Task.Delay(5);
            threads.Add(reactor.IsReactorThread);
            await Task.Run(() => Thread.Sleep(1));
            threads.Add(reactor.IsReactorThread);
            return 42;
        }
        var result = 0;
        reactor.CallWhenRunning(() => WorkAsync().AddCallback(value =>
        {
            result = value;
            reactor.Stop();
        }));
        reactor.RunWithSafetyNet();
        Assert.Equal(42, result);
        Assert.Equal([true, true, true], threads);
    }

    [Fact]
    public void SynchronizationContext_SendFromAnotherThread_RunsOnReactorAndWaits()
    {
        var reactor = ReactorTestSupport.Create(out _);
        using var running = reactor.RunInBackground();
        var onReactor = false;
        reactor.SynchronizationContext.Send(_ => onReactor = reactor.IsReactorThread, null);
        Assert.True(onReactor);
        Assert.Throws<FormatException>(() => reactor.SynchronizationContext.Send(_ => throw new FormatException(), null));
    }

    [Fact]
    public void StallDetector_SlowCallback_IsReportedWithItsNameAndLogged()
    {
        var reactor = ReactorTestSupport.Create(out var logs, stallThreshold: TimeSpan.FromMilliseconds(10));
        var stalls = new List<ReactorStall>();
        reactor.Stalled += stalls.Add;
        reactor.CallWhenRunning(() => reactor.CallLater(TimeSpan.Zero, SlowTimer));
        reactor.CallWhenRunning(() => reactor.CallLater(TimeSpan.FromMilliseconds(1), reactor.Stop));
        reactor.RunWithSafetyNet();
        var stall = Assert.Single(stalls, s => s.Callable.EndsWith(nameof(SlowTimer), StringComparison.Ordinal));
        Assert.Equal("timer", stall.Kind);
        Assert.Contains(logs.Entries, e => e.Message.Contains("stalled", StringComparison.Ordinal) && e.Message.Contains(nameof(SlowTimer), StringComparison.Ordinal));
    }

    private static void SlowTimer() => Thread.Sleep(40);

    [Fact]
    public void StallDetector_CoarseClockThreshold_SlowThreadCallAmongFastOnesIsReportedWithItsName()
    {
        // From 20 ms up, callbacks are timed on the coarse clock (the precise one is read only when it moved): a slow
        // call in the middle of a batch of fast ones must still be caught and named.
        var reactor = ReactorTestSupport.Create(out var logs, stallThreshold: TimeSpan.FromMilliseconds(50));
        var stalls = new List<ReactorStall>();
        reactor.Stalled += stalls.Add;
        var fast = 0;
        reactor.CallWhenRunning(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                reactor.CallFromThread(() => fast++);
            }
            reactor.CallFromThread(SlowThreadCall);
            for (var i = 0; i < 1000; i++)
            {
                reactor.CallFromThread(() => fast++);
            }
            reactor.CallFromThread(reactor.Stop);
        });
        reactor.RunWithSafetyNet();
        Assert.Equal(2000, fast);
        var stall = Assert.Single(stalls, s => s.Callable.EndsWith(nameof(SlowThreadCall), StringComparison.Ordinal));
        Assert.Equal("thread call", stall.Kind);
        Assert.Contains(logs.Entries, e => e.Message.Contains(nameof(SlowThreadCall), StringComparison.Ordinal));
    }

    private static void SlowThreadCall() => Thread.Sleep(150);

    [Theory]
    [InlineData(nameof(SlowAfterATaskCompletedElsewhere))]
    [InlineData(nameof(SlowAfterYield))]
    [InlineData(nameof(SlowAfterASocketReceive))]
    public void StallDetector_SlowCodeAfterAnAwait_IsReportedAsTheAsyncMethod(string method)
    {
        // The runtime posts an await's continuation through one of its own helpers; the report names the async method
        // the helper resumed, not the helper.
        var reactor = ReactorTestSupport.Create(out var logs, stallThreshold: TimeSpan.FromMilliseconds(10));
        var stalls = new List<ReactorStall>();
        reactor.Stalled += stalls.Add;
        Func<Task, Task> slow = method switch
        {
            nameof(SlowAfterATaskCompletedElsewhere) => SlowAfterATaskCompletedElsewhere,
            nameof(SlowAfterYield) => _ => SlowAfterYield(),
            _ => SlowAfterASocketReceive,
        };
        // Completed from another thread once the method has returned at its first await, so that await cannot find its
        // task already complete and run on inline.
        var armed = new TaskCompletionSource();
        reactor.CallWhenRunning(async () =>
        {
            try
            {
                var running = slow(armed.Task);
                _ = Task.Run(armed.SetResult);
                await running;
            }
            finally
            {
                reactor.Stop();
            }
        });
        reactor.RunWithSafetyNet();
        // A first use (of sockets, say) may stall too, and is named the same; the sleep's stall is one of them.
        Assert.Contains(stalls, s => s.Callable.EndsWith("." + method, StringComparison.Ordinal) && s.Kind == "thread call"
            && s.Duration >= TimeSpan.FromMilliseconds(40));
        Assert.Contains(logs.Entries, e => e.Message.Contains("." + method + " held", StringComparison.Ordinal));
    }

    [Fact]
    public void StallDetector_SlowCodeAfterAnAwaitInALocalFunction_IsReportedAsTheLocalFunction()
    {
        var reactor = ReactorTestSupport.Create(out _, stallThreshold: TimeSpan.FromMilliseconds(10));
        var stalls = new List<ReactorStall>();
        reactor.Stalled += stalls.Add;
        reactor.CallWhenRunning(async () =>
        {
            await SlowLocal();
            reactor.Stop();
        });
        reactor.RunWithSafetyNet();
        Assert.Contains(stalls, s => s.Callable == typeof(ReactorThreadTests).FullName + "." + nameof(SlowLocal));

        static async Task SlowLocal()
        {
            await Task.Yield();
            Thread.Sleep(40);
        }
    }

    [Fact]
    public async Task StallDetector_SlowFunctionGivenToCallFromThreadAsync_IsReportedAsThatFunction()
    {
        // CallFromThreadAsync runs the function inside a closure of its own; the report names the caller's function.
        var reactor = ReactorTestSupport.Create(out _, stallThreshold: TimeSpan.FromMilliseconds(10));
        var stalls = new ConcurrentQueue<ReactorStall>();
        reactor.Stalled += stalls.Enqueue;
        using (reactor.RunInBackground())
        {
            Assert.Equal(40, await reactor.CallFromThreadAsync(SlowFunction));
            Assert.Equal(40, await reactor.CallFromThreadAsync(() => Deferred.Succeed(SlowFunction())));
        }
        Assert.Contains(stalls, s => s.Callable == typeof(ReactorThreadTests).FullName + "." + nameof(SlowFunction));
        // The lambda, named as the compiler names it: after the test method it is written in.
        Assert.Contains(stalls, s => s.Callable.Contains($"<{nameof(StallDetector_SlowFunctionGivenToCallFromThreadAsync_IsReportedAsThatFunction)}>",
            StringComparison.Ordinal));
        Assert.DoesNotContain(stalls, s => s.Callable.Contains(nameof(ReactorThreadsExtensions), StringComparison.Ordinal));
    }

    [Fact]
    public void StallDetector_SlowCallbackOfADeferredBridgedFromATask_IsReportedAsTheBridge()
    {
        // Deferred.FromTask fires the Deferred from a continuation the runtime posts; the report names AsyncCore's bridge
        // (whose callbacks ran), not the runtime's posting helper.
        var reactor = ReactorTestSupport.Create(out _, stallThreshold: TimeSpan.FromMilliseconds(10));
        var stalls = new List<ReactorStall>();
        reactor.Stalled += stalls.Add;
        var source = new TaskCompletionSource<int>();
        reactor.CallWhenRunning(() =>
        {
            Deferred.FromTask(source.Task).AddCallback(value =>
            {
                Thread.Sleep(40);
                reactor.Stop();
                return value;
            });
            // Completed only once bridged, from another thread: the bridge's continuation is posted to the reactor.
            _ = Task.Run(() => source.SetResult(1));
        });
        reactor.RunWithSafetyNet();
        Assert.Contains(stalls, s => s.Callable.Contains("TaskInterop", StringComparison.Ordinal) && s.Duration >= TimeSpan.FromMilliseconds(40));
        Assert.DoesNotContain(stalls, s => s.Callable.StartsWith("System.", StringComparison.Ordinal));
    }

    private static int SlowFunction()
    {
        Thread.Sleep(40);
        return 40;
    }

    private static async Task SlowAfterATaskCompletedElsewhere(Task armed)
    {
        await armed;
        Thread.Sleep(40);
    }

    private static async Task SlowAfterYield()
    {
        await Task.Yield();
        Thread.Sleep(40);
    }

    /// <summary>A socket's ValueTask posts its continuation as an <c>Action&lt;object&gt;</c> wrapped in a SendOrPostCallback.</summary>
    private static async Task SlowAfterASocketReceive(Task armed)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        // Blocking connect and accept (loopback, immediate): the receive below must be the method's first await.
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        var receive = client.ReceiveAsync(new byte[1].AsMemory());
        // The byte is sent only once the method has returned at that await, which is then still pending.
        var send = Task.Run(async () =>
        {
            await armed.ConfigureAwait(false);
            server.Send([1]);
        });
        await receive;
        Thread.Sleep(40);
        await send;
    }

    [Fact]
    public void StallDetector_Disabled_ReportsNothing()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var stalls = 0;
        reactor.Stalled += _ => stalls++;
        reactor.CallWhenRunning(() => reactor.CallLater(TimeSpan.Zero, () =>
        {
            SlowTimer();
            reactor.Stop();
        }));
        reactor.RunWithSafetyNet();
        Assert.Equal(0, stalls);
        Assert.Equal(Timeout.InfiniteTimeSpan, reactor.StallThreshold);
    }

    [Fact]
    public void Metrics_QueueDepthTimersAndStalls_ArePublishedOnTheReactorMeter()
    {
        var reactor = new EventLoopReactor(new ReactorOptions
        {
            Name = "metrics-test-" + Guid.NewGuid().ToString("N"),
            StallThreshold = TimeSpan.FromMilliseconds(5),
            LoggerFactory = new LogCapture(),
        });
        var measurements = new ConcurrentBag<(string Instrument, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "AsyncCore.Reactor")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reactor" && Equals(tag.Value, reactor.Name))
                {
                    measurements.Add((instrument.Name, value));
                }
            }
        }
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        reactor.CallWhenRunning(() =>
        {
            reactor.CallLater(TimeSpan.FromHours(1), () => { });
            reactor.CallLater(TimeSpan.FromHours(2), () => { });
            reactor.CallLater(TimeSpan.Zero, () =>
            {
                Thread.Sleep(20);
                listener.RecordObservableInstruments();
                reactor.Stop();
            });
        });
        reactor.RunWithSafetyNet();
        Assert.Contains(measurements, m => m.Instrument == "asynccore.reactor.timers" && m.Value >= 2);
        Assert.Contains(measurements, m => m.Instrument == "asynccore.reactor.queue.depth");
        Assert.Contains(measurements, m => m.Instrument == "asynccore.reactor.stalls" && m.Value == 1);
        Assert.Contains(measurements, m => m.Instrument == "asynccore.reactor.lag");
    }
}
