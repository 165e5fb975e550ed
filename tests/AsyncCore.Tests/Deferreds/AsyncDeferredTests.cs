namespace AsyncCore.Tests.Deferreds;

/// <summary>
/// <c>async Deferred&lt;T&gt;</c> methods and <c>await</c> on Deferreds (Twisted's ensureDeferred/fromCoroutine and
/// test_defer_await, plus the inlineCallbacks cancellation cases).
/// </summary>
public class AsyncDeferredTests
{
    private static readonly AsyncLocal<string?> Ambient = new();

    [Fact]
    public void Await_FiredDeferred_CompletesWithoutSuspendingAndConsumesTheResult()
    {
        var d = Deferred.Succeed(5);

        var result = AddOneAsync(d);

        Assert.Equal(6, DeferredAssert.SuccessResultOf(result));
        Assert.Null(d.CurrentResult);
    }

    [Fact]
    public void AsyncMethod_RunsSynchronouslyUntilFirstUnfiredAwait()
    {
        var log = new List<string>();
        var first = Deferred.Succeed(1);
        var second = new Deferred<int>();

        var result = Steps(log, first, second);
        log.Add("returned to caller");

        Assert.Equal(["start", "after first 1", "returned to caller"], log);
        second.Callback(2);
        Assert.Equal(["start", "after first 1", "returned to caller", "after second 2"], log);
        Assert.Equal(3, DeferredAssert.SuccessResultOf(result));

        static async Deferred<int> Steps(List<string> log, Deferred<int> first, Deferred<int> second)
        {
            log.Add("start");
            var a = await first;
            log.Add($"after first {a}");
            var b = await second;
            log.Add($"after second {b}");
            return a + b;
        }
    }

    [Fact]
    public void Await_UnfiredDeferred_ResumesInsideItsCallback()
    {
        var d = new Deferred<int>();
        var result = AddOneAsync(d);
        DeferredAssert.AssertNoResult(result);

        d.Callback(41);

        // Resumed synchronously, inside Callback: no scheduler involved.
        Assert.Equal(42, DeferredAssert.SuccessResultOf(result));
    }

    [Fact]
    public void Await_FailedDeferred_ThrowsTheSameExceptionIntoTheMethod()
    {
        var error = new IOException("disk");
        Exception? caught = null;
        var result = Catching(Deferred.Fail<int>(error));

        Assert.Equal(-1, DeferredAssert.SuccessResultOf(result));
        Assert.Same(error, caught);

        async Deferred<int> Catching(Deferred<int> d)
        {
            try
            {
                return await d;
            }
            catch (IOException ex)
            {
                caught = ex;
                return -1;
            }
        }
    }

    [Fact]
    public void AsyncMethod_UncaughtException_FailsTheReturnedDeferred()
    {
        var d = new Deferred<int>();
        var result = AddOneAsync(d);
        var error = new TimeoutException();

        d.Errback(error);

        Assert.Same(error, DeferredAssert.FailureResultOf(result).Value);
    }

    [Fact]
    public void AsyncMethod_ThrowingBeforeAnyAwait_ReturnsFailedDeferred()
    {
        var result = Throws();

        DeferredAssert.FailureResultOf(result, typeof(ArgumentException));

#pragma warning disable CS1998 // An async method without await: the point of the test.
        static async Deferred<int> Throws() => throw new ArgumentException("sync");
#pragma warning restore CS1998
    }

    [Fact]
    public void Await_PausedDeferred_WaitsForUnpause()
    {
        var d = Deferred.Succeed(1);
        d.Pause();
        var result = AddOneAsync(d);

        DeferredAssert.AssertNoResult(result);
        d.Unpause();

        Assert.Equal(2, DeferredAssert.SuccessResultOf(result));
    }

    [Fact]
    public void Await_DeferredWaitingOnChainedDeferred_ResumesWithTheInnersResult()
    {
        var inner = new Deferred<int>();
        var outer = new Deferred<int>();
        outer.AddCallback(_ => inner);
        outer.Callback(0);
        var result = AddOneAsync(outer);
        DeferredAssert.AssertNoResult(result);

        inner.Callback(9);

        Assert.Equal(10, DeferredAssert.SuccessResultOf(result));
    }

    [Fact]
    public void Await_ChainedDeferredThatFails_ErrorIsThrownIntoTheMethod()
    {
        var inner = new Deferred<int>();
        var outer = new Deferred<int>();
        outer.AddCallback(_ => inner);
        outer.Callback(0);
        var result = AddOneAsync(outer);

        inner.Errback(new FormatException());

        DeferredAssert.FailureResultOf(result, typeof(FormatException));
    }

    [Fact]
    public void Await_ErrbackAfterChainedWait_ReachesTheMethodsCatch()
    {
        // An errback that runs after a chained wait: the outer chain resumes on the error path and the await throws.
        var inner = new Deferred<string>();
        var outer = new Deferred<int>();
        var chained = outer.AddCallback(_ => inner).AddCallback(s => s.Length);
        outer.Callback(0);
        string? caught = null;
        var result = Catch(chained);

        inner.Errback(new InvalidDataException("bad data"));

        Assert.Equal("bad data", caught);
        Assert.Equal(0, DeferredAssert.SuccessResultOf(result));

        async Deferred<int> Catch(Deferred<int> d)
        {
            try
            {
                return await d;
            }
            catch (InvalidDataException ex)
            {
                caught = ex.Message;
                return 0;
            }
        }
    }

    [Fact]
    public void Cancel_AsyncMethod_CancelsTheAwaitedDeferredAndThrowsIntoTheMethod()
    {
        var cancellerCalls = 0;
        var awaited = new Deferred<int>(_ => cancellerCalls++);
        var sawCancellation = false;
        var result = Awaits(awaited);

        result.Cancel();

        Assert.Equal(1, cancellerCalls);
        Assert.True(sawCancellation);
        DeferredAssert.FailureResultOf(result, typeof(CancelledException));

        async Deferred<int> Awaits(Deferred<int> d)
        {
            try
            {
                return await d;
            }
            catch (CancelledException)
            {
                sawCancellation = true;
                throw;
            }
        }
    }

    [Fact]
    public void Cancel_MethodCatchesCancellationAndCarriesOn_OuterStaysUnfiredUntilItFinishes()
    {
        var first = new Deferred<int>();
        var second = new Deferred<int>();
        var result = CarriesOn(first, second);

        result.Cancel();

        Assert.False(result.Called);
        Assert.True(first.Called);
        second.Callback(7);
        Assert.Equal(107, DeferredAssert.SuccessResultOf(result));

        static async Deferred<int> CarriesOn(Deferred<int> first, Deferred<int> second)
        {
            var bonus = 0;
            try
            {
                await first;
            }
            catch (CancelledException)
            {
                bonus = 100;
            }
            return bonus + await second;
        }
    }

    [Fact]
    public void Cancel_Twice_SecondCancelGoesToWhatTheMethodAwaitsNow()
    {
        var secondCancelled = false;
        var first = new Deferred<int>();
        var second = new Deferred<int>(_ => secondCancelled = true);
        var result = CarriesOn(first, second);

        result.Cancel();
        Assert.False(secondCancelled);
        result.Cancel();

        Assert.True(secondCancelled);
        DeferredAssert.FailureResultOf(result, typeof(CancelledException));

        static async Deferred<int> CarriesOn(Deferred<int> first, Deferred<int> second)
        {
            try
            {
                await first;
            }
            catch (CancelledException)
            {
            }
            return await second;
        }
    }

    [Fact]
    public void Cancel_AwaitedCancellerTranslatesToValue_MethodSeesTheValue()
    {
        var awaited = new Deferred<int>(x => x.Callback(-5));
        var result = AddOneAsync(awaited);

        result.Cancel();

        Assert.Equal(-4, DeferredAssert.SuccessResultOf(result));
    }

    [Fact]
    public void Cancel_FinishedAsyncMethod_IsIgnored()
    {
        var result = AddOneAsync(Deferred.Succeed(1));

        result.Cancel();

        Assert.Equal(2, DeferredAssert.SuccessResultOf(result));
    }

    [Fact]
    public void AsyncMethod_AsyncLocalSetBeforeAwait_IsVisibleAfterResumingFromAnotherContext()
    {
        var d = new Deferred<int>();
        Ambient.Value = "caller";
        var result = ReadsAmbient(d);
        // The method's change does not leak to the caller.
        Assert.Equal("caller", Ambient.Value);

        Ambient.Value = "firer";
        d.Callback(0);

        Assert.Equal("method|method", DeferredAssert.SuccessResultOf(result));
        Assert.Equal("firer", Ambient.Value);

        static async Deferred<string> ReadsAmbient(Deferred<int> d)
        {
            Ambient.Value = "method";
            var before = Ambient.Value;
            await d;
            return before + "|" + Ambient.Value;
        }
    }

    [Fact]
    public void AsyncMethod_InheritsCallersAsyncLocal()
    {
        Ambient.Value = "from caller";
        var d = new Deferred<int>();

        var result = Read(d);
        Ambient.Value = "changed later";
        d.Callback(0);

        Assert.Equal("from caller", DeferredAssert.SuccessResultOf(result));

        static async Deferred<string?> Read(Deferred<int> d)
        {
            await d;
            return Ambient.Value;
        }
    }

    [Fact]
    public void Await_100000FiredDeferredsInALoop_NoSuspensionNoStackGrowth()
    {
        var result = Sum(100_000);

        Assert.Equal(100_000, DeferredAssert.SuccessResultOf(result));

        static async Deferred<int> Sum(int count)
        {
            var total = 0;
            for (var i = 0; i < count; i++)
            {
                total += await Deferred.Succeed(1);
            }
            return total;
        }
    }

    [Fact]
    public void Await_ManyUnfiredDeferredsFiredOneByOne_ResumesEachTime()
    {
        var queue = new DeferredQueue<int>();
        var result = Drain(queue, 10_000);

        for (var i = 0; i < 10_000; i++)
        {
            queue.Put(1);
        }

        Assert.Equal(10_000, DeferredAssert.SuccessResultOf(result));

        static async Deferred<int> Drain(DeferredQueue<int> queue, int count)
        {
            var total = 0;
            for (var i = 0; i < count; i++)
            {
                total += await queue.Get();
            }
            return total;
        }
    }

    [Fact]
    public void AsyncMethods_Nested_InnerResultFlowsToOuter()
    {
        var d = new Deferred<int>();

        var result = Outer(d);
        d.Callback(4);

        Assert.Equal(10, DeferredAssert.SuccessResultOf(result));

        static async Deferred<int> Outer(Deferred<int> d) => await AddOneAsync(d) * 2;
    }

    [Fact]
    public void AsyncMethod_ReturnedDeferred_CanBeChainedFromACallback()
    {
        var source = new Deferred<int>();
        var trigger = new Deferred<int>();
        var chained = trigger.AddCallback(_ => AddOneAsync(source));
        trigger.Callback(0);
        DeferredAssert.AssertNoResult(chained);

        source.Callback(1);

        Assert.Equal(2, DeferredAssert.SuccessResultOf(chained));
    }

    [Fact]
    public void Cancel_AsyncMethodAwaitingTask_FailsWithCancelledExceptionAtOnce()
    {
        var never = new TaskCompletionSource<int>();
        var result = AwaitTask(never.Task);

        result.Cancel();

        DeferredAssert.FailureResultOf(result, typeof(CancelledException));
        never.SetResult(1);

        static async Deferred<int> AwaitTask(Task<int> task) => await task;
    }

    private static async Deferred<int> AddOneAsync(Deferred<int> d) => await d + 1;
}
