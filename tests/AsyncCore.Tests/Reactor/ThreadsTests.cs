using AsyncCore.Reactor;
using AsyncCore.Reactors;

namespace AsyncCore.Tests.Reactor;

/// <summary>From Twisted's test_threads.py (DeferredResultTests, DeferToThreadPoolTests) and internet/test/test_threads.py.</summary>
public sealed class ThreadsTests : IDisposable
{
    private readonly EventLoopReactor _reactor;
    private readonly ReactorThread _thread;

    public ThreadsTests()
    {
        _reactor = ReactorTestSupport.Create(out _);
        _thread = _reactor.RunInBackground();
    }

    public void Dispose()
    {
        _thread.Dispose();
        _reactor.Dispose();
    }

    /// <summary>Starts <paramref name="start"/> on the reactor thread and waits for the Deferred's outcome there.</summary>
    private (Outcome<T> Outcome, bool FiredOnReactor) Await<T>(Func<Deferred<T>> start)
    {
        var source = new TaskCompletionSource<(Outcome<T>, bool)>(TaskCreationOptions.RunContinuationsAsynchronously);
        _reactor.CallFromThread(() => start().AddBoth(outcome =>
        {
            source.SetResult((outcome, _reactor.IsReactorThread));
            return 0;
        }));
        source.Task.WaitOrFail("the Deferred");
        return source.Task.Result;
    }

    [Fact]
    public void DeferToThread_Value_FiresWithItOnTheReactorThread()
    {
        var workerWasReactor = true;
        var (outcome, onReactor) = Await(() => _reactor.DeferToThread(() =>
        {
            workerWasReactor = _reactor.IsReactorThread;
            return 42;
        }));
        Assert.Equal(42, outcome.GetValueOrThrow());
        Assert.True(onReactor);
        Assert.False(workerWasReactor);
    }

    [Fact]
    public void DeferToThread_Throws_FailsWithTheException()
    {
        var (outcome, onReactor) = Await(() => _reactor.DeferToThread<int>(() => throw new FormatException("worker")));
        Assert.IsType<FormatException>(outcome.Failure!.Value);
        Assert.True(onReactor);
    }

    [Fact]
    public void DeferToThread_Cancelled_FailsAtOnceAndTheLateResultIsDropped()
    {
        using var release = new ManualResetEventSlim();
        var finished = new ManualResetEventSlim();
        var (outcome, _) = Await(() =>
        {
            var d = _reactor.DeferToThread(() =>
            {
                release.Wait(ReactorTestSupport.Patience);
                finished.Set();
                return 1;
            });
            d.Cancel();
            return d;
        });
        Assert.IsType<CancelledException>(outcome.Failure!.Value);
        release.Set();
        finished.WaitOrFail("the worker");
        // The late result reaches a fired Deferred: it must be dropped, not raise on the reactor thread.
        Assert.Equal(1, _reactor.OnReactor(() => 1));
    }

    [Fact]
    public void DeferToThread_WithToken_CancelSignalsTheRunningWork()
    {
        var started = new ManualResetEventSlim();
        var sawCancellation = new ManualResetEventSlim();
        Deferred<int>? d = null;
        _reactor.CallFromThread(() => d = _reactor.DeferToThread(token =>
        {
            started.Set();
            if (token.WaitHandle.WaitOne(ReactorTestSupport.Patience))
            {
                sawCancellation.Set();
            }
            return 0;
        }));
        started.WaitOrFail("the work to start");
        var outcome = _reactor.OnReactor(() =>
        {
            d!.Cancel();
            // Consumed, not just read: a cancelled Deferred whose CancelledException nobody handles is reported as
            // "Unhandled error in Deferred" when collected, as in Twisted.
            return d.ConsumeFailure();
        });
        Assert.IsType<CancelledException>(outcome!.Value);
        sawCancellation.WaitOrFail("the token to be cancelled");
    }

    [Fact]
    public void DeferToThreadPool_RunsOnTheGivenPool()
    {
        var pool = new ReactorThreadPool(1, 1, "custom");
        pool.Start();
        try
        {
            var (outcome, onReactor) = Await(() => _reactor.DeferToThreadPool(pool, () => Thread.CurrentThread.Name));
            Assert.StartsWith("custom-", outcome.GetValueOrThrow(), StringComparison.Ordinal);
            Assert.True(onReactor);
        }
        finally
        {
            pool.Stop();
        }
    }

    [Fact]
    public void DeferToThreadPool_Throws_Fails()
    {
        var pool = new ReactorThreadPool(0, 1);
        pool.Start();
        try
        {
            var (outcome, _) = Await(() => _reactor.DeferToThreadPool<int>(pool, () => throw new IOException()));
            Assert.IsType<IOException>(outcome.Failure!.Value);
        }
        finally
        {
            pool.Stop();
        }
    }

    [Fact]
    public void CallMultipleInThread_RunsTheCallsInOrderOnOneThread()
    {
        var threads = new List<int>();
        var order = new List<int>();
        var done = new ManualResetEventSlim();
        _reactor.CallMultipleInThread(
        [
            () => { threads.Add(Environment.CurrentManagedThreadId); order.Add(1); },
            () => { threads.Add(Environment.CurrentManagedThreadId); order.Add(2); },
            () => { threads.Add(Environment.CurrentManagedThreadId); order.Add(3); done.Set(); },
        ]);
        done.WaitOrFail("the calls");
        Assert.Equal([1, 2, 3], order);
        Assert.Single(threads.Distinct());
    }

    [Fact]
    public void BlockingCallFromThread_SynchronousValue_ReturnsIt()
    {
        var result = RunInWorker(() => _reactor.BlockingCallFromThread(() => _reactor.IsReactorThread ? "on reactor" : "elsewhere"));
        Assert.Equal("on reactor", result);
    }

    private static readonly AsyncLocal<string?> s_flowed = new();

    [Fact]
    public void BlockingCallFromThread_RunsTheFunctionWithTheCallersExecutionContext()
    {
        // As Task.Run: an AsyncLocal set by the worker is seen by the function on the reactor thread (a connection pool
        // relies on it to recognise a call made from inside one of its interactions), and only there.
        var result = RunInWorker(() =>
        {
            s_flowed.Value = "from the worker";
            return _reactor.BlockingCallFromThread(() => s_flowed.Value ?? "nothing");
        });
        Assert.Equal("from the worker", result);
        Assert.Null(RunInWorker(() => _reactor.BlockingCallFromThread(() => s_flowed.Value)));
    }

    [Fact]
    public void BlockingCallFromThread_DeferredFiringLater_WaitsAndReturnsItsValue()
    {
        var result = RunInWorker(() => _reactor.BlockingCallFromThread(() =>
        {
            var d = new Deferred<int>();
            _reactor.CallLater(TimeSpan.FromMilliseconds(10), () => d.Callback(7));
            return d;
        }));
        Assert.Equal(7, result);
    }

    [Fact]
    public void BlockingCallFromThread_DeferredFails_RaisesTheFailureInTheWorker()
    {
        var error = Assert.Throws<IOException>(() => RunInWorker(() => _reactor.BlockingCallFromThread(() =>
        {
            var d = new Deferred<int>();
            _reactor.CallLater(TimeSpan.FromMilliseconds(10), () => d.Errback(new IOException("on the reactor")));
            return d;
        })));
        Assert.Equal("on the reactor", error.Message);
    }

    [Fact]
    public void BlockingCallFromThread_FunctionThrows_RaisesInTheWorker()
    {
        Assert.Throws<FormatException>(() => RunInWorker(() => _reactor.BlockingCallFromThread(int () => throw new FormatException())));
    }

    [Fact]
    public void BlockingCallFromThread_AsyncLambda_RunsOnTheReactorAndReturnsItsValue()
    {
        var result = RunInWorker(() => _reactor.BlockingCallFromThread(async () =>
        {
            await Task.Delay(5);
            return _reactor.IsReactorThread;
        }));
        Assert.True(result);
    }

    [Fact]
    public void BlockingCallFromThread_OnTheReactorThread_ThrowsInsteadOfDeadlocking()
    {
        var error = _reactor.OnReactor(() => Record.Exception(() => _reactor.BlockingCallFromThread(() => 1)));
        Assert.IsType<InvalidOperationException>(error);
    }

    // ---- BlockingCallFromThread while the reactor shuts down: the worker is released, never deadlocked ----------

    [Fact]
    public void BlockingCallFromThread_ReactorStopsWhileThePoolWorkerWaits_WorkerGetsReactorNotRunning()
    {
        // The shutdown joins the pool's threads: a pool worker still waiting for its Deferred would deadlock it.
        var reactor = ReactorTestSupport.Create(out _);
        var called = new ManualResetEventSlim();
        var finished = new ManualResetEventSlim();
        Exception? error = null;
        reactor.CallWhenRunning(() => reactor.CallInThread(() =>
        {
            error = Record.Exception(() => reactor.BlockingCallFromThread(() =>
            {
                called.Set();
                reactor.Stop();
                return new Deferred<int>();
            }));
            finished.Set();
        }));
        reactor.RunWithSafetyNet();
        Assert.True(called.IsSet);
        finished.WaitOrFail("the worker");
        Assert.IsType<ReactorNotRunningException>(error);
        Assert.True(reactor.GetThreadPool().Joined);
    }

    [Fact]
    public void BlockingCallFromThread_QueuedDuringShutdown_IsNeverRunAndTheWorkerGetsReactorNotRunning()
    {
        var reactor = ReactorTestSupport.Create(out _);
        var ran = false;
        Thread? worker = null;
        Exception? error = null;
        // The user's during-shutdown trigger runs after the built-in ones have ended the loop: no pass will run the call.
        reactor.AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Shutdown, () =>
        {
            worker = new Thread(() => error = Record.Exception(() => reactor.BlockingCallFromThread(() => ran = true)));
            worker.Start();
        });
        reactor.CallWhenRunning(reactor.Stop);
        reactor.RunWithSafetyNet();
        Assert.True(worker!.Join(ReactorTestSupport.Patience), "The worker stayed blocked after the reactor stopped.");
        Assert.IsType<ReactorNotRunningException>(error);
        Assert.False(ran);
    }

    [Fact]
    public void BlockingCallFromThread_WhileBeforeShutdownTriggersWait_StillRunsAndReturns()
    {
        // Until the before-shutdown Deferreds fire, the reactor still runs its passes (Twisted): blocking calls work.
        var reactor = ReactorTestSupport.Create(out _);
        var result = 0;
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () =>
        {
            var closing = new Deferred<int>();
            reactor.CallInThread(() =>
            {
                result = reactor.BlockingCallFromThread(() => reactor.Stopping ? 42 : -1);
                reactor.CallFromThread(() => closing.Callback(0));
            });
            return closing;
        });
        reactor.CallWhenRunning(reactor.Stop);
        reactor.RunWithSafetyNet();
        Assert.Equal(42, result);
    }

    [Fact]
    public void BlockingCallFromThread_CallStopsTheReactor_WorkerStillGetsTheValue()
    {
        // The call runs (and sets the result) and the shutdown then releases waiting workers: the worker must see the
        // value even when it reaches its wait only after both happened. Repeated, as it depends on thread scheduling.
        for (var i = 0; i < 20; i++)
        {
            var reactor = ReactorTestSupport.Create(out _);
            var finished = new ManualResetEventSlim();
            var value = 0;
            Exception? error = null;
            reactor.CallWhenRunning(() => reactor.CallInThread(() =>
            {
                error = Record.Exception(() => value = reactor.BlockingCallFromThread(() =>
                {
                    reactor.Stop();
                    return 7;
                }));
                finished.Set();
            }));
            reactor.RunWithSafetyNet();
            finished.WaitOrFail("the worker");
            Assert.Null(error);
            Assert.Equal(7, value);
        }
    }

    /// <summary>Runs <paramref name="function"/> on a reactor pool thread and returns (or rethrows) its outcome.</summary>
    private T RunInWorker<T>(Func<T> function)
    {
        var source = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _reactor.CallInThread(() =>
        {
            try
            {
                source.SetResult(function());
            }
            catch (Exception ex)
            {
                source.SetException(ex);
            }
        });
        Assert.True(((IAsyncResult)source.Task).AsyncWaitHandle.WaitOne(ReactorTestSupport.Patience), "The worker did not finish.");
        return source.Task.GetAwaiter().GetResult();
    }
}
