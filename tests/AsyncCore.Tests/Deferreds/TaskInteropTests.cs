namespace AsyncCore.Tests.Deferreds;

/// <summary>Deferred.FromTask and AsTask, with cancellation mapped both ways (Twisted's asFuture/fromFuture).</summary>
public class TaskInteropTests
{
    [Fact]
    public void FromTask_CompletedTask_FiresSynchronously()
    {
        var d = Deferred.FromTask(Task.FromResult(3));

        Assert.Equal(3, DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void FromTask_FaultedTask_FailsWithTheInnerExceptionNotAggregate()
    {
        var error = new IOException();

        var d = Deferred.FromTask(Task.FromException<int>(error));

        Assert.Same(error, DeferredAssert.FailureResultOf(d).Value);
    }

    [Fact]
    public void FromTask_CanceledTask_FailsWithCancelledException()
    {
        var d = Deferred.FromTask(Task.FromCanceled<int>(new CancellationToken(true)));

        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
    }

    [Fact]
    public void FromTask_PendingTask_FiresOnTheCapturedSynchronizationContext()
    {
        var context = new ManualSynchronizationContext();
        var source = new TaskCompletionSource<int>();
        var d = context.Within(() => Deferred.FromTask(source.Task));

        source.SetResult(5);

        // Not fired on the completing thread: handed over to the context (the reactor thread in production).
        Assert.False(d.Called);
        Assert.Equal(1, context.RunPending());
        Assert.Equal(5, DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void FromTask_WithToken_CancellingTheDeferredCancelsTheToken()
    {
        CancellationToken seen = default;
        var source = new TaskCompletionSource<int>();

        var d = Deferred.FromTask(ct =>
        {
            seen = ct;
            return source.Task;
        });
        Assert.False(seen.IsCancellationRequested);

        d.Cancel();

        Assert.True(seen.IsCancellationRequested);
        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
        source.SetResult(1);
    }

    [Fact]
    public void FromTask_StartThrowsSynchronously_ReturnsFailedDeferred()
    {
        var d = Deferred.FromTask<int>(_ => throw new ArgumentException());

        DeferredAssert.FailureResultOf(d, typeof(ArgumentException));
    }

    [Fact]
    public async Task FromTask_WithTokenObservedByRealAsyncWork_CancelStopsTheWork()
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var d = Deferred.FromTask(async ct =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
                return 0;
            }
            finally
            {
                stopped.SetResult();
            }
        });

        d.Cancel();

        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
    }

    [Fact]
    public async Task AsTask_Success_CompletesWithValueAndConsumesIt()
    {
        var d = new Deferred<int>();
        var task = d.AsTask(TestContext.Current.CancellationToken);
        Assert.False(task.IsCompleted);

        d.Callback(4);

        Assert.Equal(4, await task);
        Assert.Null(d.CurrentResult);
    }

    [Fact]
    public async Task AsTask_Failure_FaultsWithTheSameException()
    {
        var error = new IOException();
        var task = Deferred.Fail<int>(error).AsTask(TestContext.Current.CancellationToken);

        Assert.Same(error, await Assert.ThrowsAsync<IOException>(() => task));
    }

    [Fact]
    public async Task AsTask_DeferredCancelled_TaskIsCanceled()
    {
        var d = new Deferred<int>();
        var task = d.AsTask(TestContext.Current.CancellationToken);

        d.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.True(task.IsCanceled);
    }

    [Fact]
    public async Task AsTask_TokenCancelled_CancelsTheDeferredOnTheCapturedContext()
    {
        var context = new ManualSynchronizationContext();
        var cancellerCalls = 0;
        var d = new Deferred<int>(_ => cancellerCalls++);
        using var cts = new CancellationTokenSource();
        var task = context.Within(() => d.AsTask(cts.Token));

        await cts.CancelAsync();

        Assert.Equal(0, cancellerCalls);
        context.RunPending();
        Assert.Equal(1, cancellerCalls);
        var canceled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(cts.Token, canceled.CancellationToken);
    }

    [Fact]
    public async Task AsTask_TokenAlreadyCancelled_CancelsTheDeferred()
    {
        var d = new Deferred<int>();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var task = d.AsTask(cts.Token);

        Assert.True(d.Called);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
    }

    [Fact]
    public async Task AsTask_TokenCancelledAfterSuccess_TaskKeepsTheValue()
    {
        var d = new Deferred<int>();
        using var cts = new CancellationTokenSource();
        var task = d.AsTask(cts.Token);
        d.Callback(1);

        await cts.CancelAsync();

        Assert.Equal(1, await task);
    }
}
