namespace AsyncCore.Tests.Deferreds;

/// <summary>Succeed, Fail and MaybeDeferred (Twisted's test_maybeDeferred*).</summary>
public class DeferredHelperTests
{
    [Fact]
    public void MaybeDeferred_SyncValue_ReturnsFiredDeferred()
    {
        var d = Deferred.MaybeDeferred(() => 10);

        Assert.Equal(10, DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void MaybeDeferred_SyncException_ReturnsFailedDeferred()
    {
        var error = new FormatException();

        var d = Deferred.MaybeDeferred(int () => throw error);

        Assert.Same(error, DeferredAssert.FailureResultOf(d).Value);
    }

    [Fact]
    public void MaybeDeferred_ReturnedDeferred_IsPassedBackAsIs()
    {
        var inner = new Deferred<int>();

        var d = Deferred.MaybeDeferred(() => inner);

        Assert.Same(inner, d);
    }

    [Fact]
    public void MaybeDeferred_ReturnedFailingDeferred_LaterFailurePropagates()
    {
        var inner = new Deferred<int>();
        var d = Deferred.MaybeDeferred(() => inner);

        inner.Errback(new TimeoutException());

        DeferredAssert.FailureResultOf(d, typeof(TimeoutException));
    }

    [Fact]
    public void MaybeDeferred_FunctionReturningNullDeferred_Fails()
    {
        var d = Deferred.MaybeDeferred<int>(Deferred<int> () => null!);

        DeferredAssert.FailureResultOf(d, typeof(InvalidOperationException));
    }

    [Fact]
    public void MaybeDeferred_CompletedTask_ReturnsFiredDeferred()
    {
        var d = Deferred.MaybeDeferred(() => Task.FromResult("task"));

        Assert.Equal("task", DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void MaybeDeferred_FaultedTask_ReturnsFailedDeferred()
    {
        var d = Deferred.MaybeDeferred(() => Task.FromException<int>(new IOException()));

        DeferredAssert.FailureResultOf(d, typeof(IOException));
    }

    [Fact]
    public void MaybeDeferred_AsyncDeferredMethod_RunsItNow()
    {
        var ran = false;
        var gate = new Deferred<int>();

        var d = Deferred.MaybeDeferred(() => Method(gate));

        Assert.True(ran);
        gate.Callback(2);
        Assert.Equal(4, DeferredAssert.SuccessResultOf(d));

        async Deferred<int> Method(Deferred<int> g)
        {
            ran = true;
            return await g * 2;
        }
    }

    [Fact]
    public void Fail_WithFailure_KeepsTheInstance()
    {
        var failure = new Failure(new IOException());

        Assert.Same(failure, DeferredAssert.FailureResultOf(Deferred.Fail<int>(failure)));
    }
}
