using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Tests.Deferreds;

/// <summary>
/// "Unhandled error in Deferred" reporting at garbage collection, and debug mode (Twisted's LogTests and the debug parts
/// of AlreadyCalledTests). The Deferreds under test are made in separate non-inlined methods so that nothing in the test
/// method keeps them alive; each failure carries a unique marker so reports left by other tests are ignored.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class UnhandledErrorTests : IDisposable
{
    private readonly string _marker = "marker-" + Guid.NewGuid().ToString("N");
    private readonly LogCapture _sink = new();
    private readonly IDisposable _installed;

    public UnhandledErrorTests()
    {
        // Reports left over by earlier tests land before the sink is installed.
        UnhandledErrors.Flush();
        _installed = _sink.InstallAsDefault();
    }

    public void Dispose()
    {
        Deferred.Debug = false;
        _installed.Dispose();
    }

    [Fact]
    public void FailedDeferred_GarbageCollected_LogsCriticalUnhandledError()
    {
        var error = MakeFailedDeferred(_marker);

        UnhandledErrors.Flush();

        var entry = Assert.Single(_sink.With(_marker));
        Assert.Equal(LogLevel.Critical, entry.Level);
        Assert.Equal("AsyncCore.Deferred", entry.Category);
        Assert.StartsWith("Unhandled error in Deferred", entry.Message, StringComparison.Ordinal);
        Assert.Same(error, entry.Exception);
    }

    [Fact]
    public void FailedDeferred_StillReachable_IsNotReported()
    {
        var d = Deferred.Fail<int>(new IOException(_marker));

        UnhandledErrors.Flush();

        Assert.Empty(_sink.With(_marker));
        DeferredAssert.FailureResultOf(d);
        GC.KeepAlive(d);
    }

    [Fact]
    public void FailureHandledByErrback_IsNotReported()
    {
        MakeHandledDeferred(_marker);

        UnhandledErrors.Flush();

        Assert.Empty(_sink.With(_marker));
    }

    [Fact]
    public void FailureConsumed_IsNotReported()
    {
        MakeConsumedDeferred(_marker);

        UnhandledErrors.Flush();

        Assert.Empty(_sink.With(_marker));
    }

    [Fact]
    public void FailureReadThroughResult_IsNotReported()
    {
        MakeDeferredReadThroughResult(_marker);

        UnhandledErrors.Flush();

        Assert.Empty(_sink.With(_marker));
    }

    [Fact]
    public void FailureMovedToChainedOuterThatHandlesIt_InnerIsNotReported()
    {
        MakeChainedPairHandledByOuter(_marker);

        UnhandledErrors.Flush();

        Assert.Empty(_sink.With(_marker));
    }

    [Fact]
    public void FailureMovedToChainedOuterThatIgnoresIt_IsReportedOnce()
    {
        MakeChainedPairUnhandled(_marker);

        UnhandledErrors.Flush();

        Assert.Single(_sink.With(_marker));
    }

    [Fact]
    public void FailureThroughSeveralStages_IsReportedOnce()
    {
        MakeFailureThroughStages(_marker);

        UnhandledErrors.Flush();

        Assert.Single(_sink.With(_marker));
    }

    [Fact]
    public void FailureAwaitedByAsyncMethod_IsNotReported()
    {
        MakeAwaitedFailure(_marker);

        UnhandledErrors.Flush();

        Assert.Empty(_sink.With(_marker));
    }

    [Fact]
    public void DeferredListWithConsumeErrors_FailedInputIsNotReported()
    {
        MakeDeferredList(_marker, consumeErrors: true);

        UnhandledErrors.Flush();

        Assert.Empty(_sink.With(_marker));
    }

    [Fact]
    public void DeferredListWithoutConsumeErrors_FailedInputIsReported()
    {
        MakeDeferredList(_marker, consumeErrors: false);

        UnhandledErrors.Flush();

        Assert.Single(_sink.With(_marker));
    }

    [Fact]
    public void Count_SeesEachUnhandledFailure_AndFlushReturnsHowManyItCaused()
    {
        var before = UnhandledErrors.Count;
        MakeFailedDeferred(_marker);

        var flushed = UnhandledErrors.Flush();

        Assert.True(flushed >= 1);
        Assert.True(UnhandledErrors.Count >= before + 1);
        Assert.Single(_sink.With(_marker));
    }

    [Fact]
    public void DebugMode_UnhandledReport_IncludesCreationAndInvocationStacks()
    {
        Deferred.Debug = true;
        MakeDebugDeferredCreatedHereFiredElsewhere(_marker);
        Deferred.Debug = false;

        UnhandledErrors.Flush();

        var entry = Assert.Single(_sink.With(_marker));
        Assert.Contains("created at", entry.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(MakeDebugDeferredCreatedHereFiredElsewhere), entry.Message, StringComparison.Ordinal);
        Assert.Contains("first fired at", entry.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(FireWithFailure), entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DebugMode_AlreadyCalled_MessageNamesCreatorAndFirstInvoker()
    {
        Deferred.Debug = true;
        var d = CreateInDebugMode();
        FireOnce(d);
        Deferred.Debug = false;

        var error = Assert.Throws<AlreadyCalledException>(() => d.Callback(2));

        Assert.Contains(nameof(CreateInDebugMode), error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(FireOnce), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DebugOff_AlreadyCalled_HasThePlainMessage()
    {
        var d = new Deferred<int>();
        d.Callback(1);

        var error = Assert.Throws<AlreadyCalledException>(() => d.Callback(2));

        Assert.Equal("The Deferred has already been called.", error.Message);
    }

    [Fact]
    public void DebugMode_Failure_RecordsWhereItWasCreated()
    {
        Deferred.Debug = true;
        var failure = new Failure(new IOException("never thrown"));
        Deferred.Debug = false;
        var plain = new Failure(new IOException("never thrown"));

        Assert.NotNull(failure.CreationStack);
        Assert.Contains("Failure created at", failure.GetTraceback(), StringComparison.Ordinal);
        Assert.Contains(nameof(DebugMode_Failure_RecordsWhereItWasCreated), failure.GetTraceback(), StringComparison.Ordinal);
        Assert.Null(plain.CreationStack);
    }

    [Fact]
    public void Cancel_CancellerThrows_ErrorIsLogged()
    {
        var d = new Deferred<int>(_ => throw new InvalidOperationException(_marker));

        d.Cancel();

        var entry = Assert.Single(_sink.With(_marker));
        Assert.Equal(LogLevel.Error, entry.Level);
        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
    }

    [Fact]
    public void DeferredListCancel_InputCancellerThrows_LoggedAndOtherInputsStillCancelled()
    {
        var second = new Deferred<int>();
        var first = new Deferred<int>(_ => throw new InvalidOperationException(_marker));
        var list = new DeferredList<int>([first, second]);

        list.Cancel();

        Assert.Single(_sink.With(_marker));
        Assert.True(second.Called);
        DeferredAssert.FailureResultOf(second, typeof(CancelledException));
        DeferredAssert.FailureResultOf(first, typeof(CancelledException));
        Assert.Equal(2, DeferredAssert.SuccessResultOf(list).Count);
    }

    [Fact]
    public void FromTask_CancelledThenTaskFaults_LateExceptionIsNotLeftUnobserved()
    {
        var marker = _marker;
        var unobserved = new List<Exception>();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.ToString().Contains(marker, StringComparison.Ordinal))
            {
                lock (unobserved)
                {
                    unobserved.Add(e.Exception);
                }
            }
        }
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            CancelThenFault(marker);

            UnhandledErrors.Flush();

            Assert.Empty(unobserved);
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CancelThenFault(string marker)
    {
        var source = new TaskCompletionSource<int>();
        var d = Deferred.FromTask(_ => source.Task);
        d.Cancel();
        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
        // The work ignored the token and failed afterwards: nobody is left to see this exception.
        source.SetException(new IOException(marker));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IOException MakeFailedDeferred(string marker)
    {
        var error = new IOException(marker);
        var d = new Deferred<int>();
        d.AddCallback(x => x + 1);
        d.Errback(error);
        return error;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeHandledDeferred(string marker)
    {
        var d = new Deferred<int>();
        d.AddErrback(_ => 0);
        d.Errback(new IOException(marker));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeConsumedDeferred(string marker)
    {
        var d = Deferred.Fail<int>(new IOException(marker));
        Assert.NotNull(d.ConsumeFailure());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeDeferredReadThroughResult(string marker)
    {
        var d = Deferred.Fail<int>(new IOException(marker));
        Assert.Throws<IOException>(() => d.Result);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeChainedPairHandledByOuter(string marker)
    {
        var inner = Deferred.Fail<int>(new IOException(marker));
        var outer = new Deferred<int>();
        outer.AddCallback(_ => inner).AddErrback(_ => -1);
        outer.Callback(0);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeChainedPairUnhandled(string marker)
    {
        var inner = new Deferred<int>();
        var outer = new Deferred<int>();
        outer.AddCallback(_ => inner);
        outer.Callback(0);
        inner.Errback(new IOException(marker));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeFailureThroughStages(string marker)
    {
        var d = new Deferred<int>();
        var text = d.AddCallback(x => x + 1).AddCallback(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture)).AddFinally(() => { });
        d.Errback(new IOException(marker));
        text.AddCallback(s => s.Length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeAwaitedFailure(string marker)
    {
        var d = new Deferred<int>();
        var method = CatchAsync(d);
        d.Errback(new IOException(marker));
        Assert.Equal(-1, DeferredAssert.SuccessResultOf(method));

        static async Deferred<int> CatchAsync(Deferred<int> d)
        {
            try
            {
                return await d;
            }
            catch (IOException)
            {
                return -1;
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeDeferredList(string marker, bool consumeErrors)
    {
        var failing = new Deferred<int>();
        var list = new DeferredList<int>([failing, Deferred.Succeed(1)], consumeErrors: consumeErrors);
        failing.Errback(new IOException(marker));
        Assert.False(DeferredAssert.SuccessResultOf(list)[0].Success);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeDebugDeferredCreatedHereFiredElsewhere(string marker) => FireWithFailure(new Deferred<int>(), marker);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FireWithFailure(Deferred<int> d, string marker) => d.Errback(new IOException(marker));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Deferred<int> CreateInDebugMode() => new();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FireOnce(Deferred<int> d) => d.Callback(1);
}
