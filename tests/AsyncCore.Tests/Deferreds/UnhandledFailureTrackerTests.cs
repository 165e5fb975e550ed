using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Tests.Deferreds;

/// <summary>
/// The deterministic "Unhandled error in Deferred" report: a tracker installed on the thread keeps the failed Deferreds
/// nobody consumed and reports them when asked, without the garbage collector; the collector's report stays as a
/// safety net and never repeats one the tracker made. In the process-wide collection because some tests force
/// collections and check the process default logger.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class UnhandledFailureTrackerTests
{
    private readonly string _marker = "marker-" + Guid.NewGuid().ToString("N");
    private readonly LogCapture _logs = new();

    private UnhandledFailureTracker NewTracker(bool debug = false) => new("test scope", _logs) { Debug = debug };

    [Fact]
    public void UnconsumedFailure_IsPending_AndReportPendingLogsItOnceWithoutGarbageCollection()
    {
        var tracker = NewTracker();
        Deferred<int> d;
        using (tracker.Install())
        {
            d = new Deferred<int>();
            d.AddCallback(x => x + 1).AddCallback(x => x * 2);
            d.Errback(new IOException(_marker));
        }

        Assert.Equal(1, tracker.PendingCount);
        Assert.Equal(1, tracker.ReportPending());

        var entry = Assert.Single(_logs.With(_marker));
        Assert.Equal(LogLevel.Critical, entry.Level);
        Assert.Equal("AsyncCore.Deferred", entry.Category);
        Assert.StartsWith("Unhandled error in Deferred", entry.Message, StringComparison.Ordinal);
        Assert.Contains("test scope", entry.Message, StringComparison.Ordinal);
        Assert.IsType<IOException>(entry.Exception);
        Assert.Equal(0, tracker.PendingCount);
        Assert.Equal(0, tracker.ReportPending());
        Assert.Single(_logs.With(_marker));
        GC.KeepAlive(d);
    }

    [Theory]
    [InlineData("errback")]
    [InlineData("ConsumeFailure")]
    [InlineData("Result")]
    [InlineData("await")]
    [InlineData("chained outer handles it")]
    [InlineData("DeferredList consumeErrors")]
    public void ConsumedFailure_IsNotPending(string how)
    {
        var tracker = NewTracker();
        using (tracker.Install())
        {
            var d = new Deferred<int>();
            switch (how)
            {
                case "errback":
                    d.AddErrback(_ => 0);
                    d.Errback(new IOException(_marker));
                    break;
                case "ConsumeFailure":
                    d.Errback(new IOException(_marker));
                    Assert.NotNull(d.ConsumeFailure());
                    break;
                case "Result":
                    d.Errback(new IOException(_marker));
                    Assert.Throws<IOException>(() => d.Result);
                    break;
                case "await":
                    var method = CatchAsync(d);
                    d.Errback(new IOException(_marker));
                    Assert.Equal(-1, DeferredAssert.SuccessResultOf(method));
                    break;
                case "chained outer handles it":
                    d.Errback(new IOException(_marker));
                    var outer = new Deferred<int>();
                    outer.AddCallback(_ => d).AddErrback(_ => -1);
                    outer.Callback(0);
                    Assert.Equal(-1, DeferredAssert.SuccessResultOf(outer));
                    break;
                case "DeferredList consumeErrors":
                    var list = new DeferredList<int>([d, Deferred.Succeed(1)], consumeErrors: true);
                    d.Errback(new IOException(_marker));
                    Assert.False(DeferredAssert.SuccessResultOf(list)[0].Success);
                    break;
            }
        }

        Assert.Equal(0, tracker.PendingCount);
        Assert.Equal(0, tracker.ReportPending());
        Assert.Empty(_logs.With(_marker));

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

    [Fact]
    public void FailureMovedToAnOuterChainThatIgnoresIt_IsPendingOnce()
    {
        var tracker = NewTracker();
        using (tracker.Install())
        {
            var inner = new Deferred<int>();
            var outer = new Deferred<int>();
            outer.AddCallback(_ => inner);
            outer.Callback(0);
            inner.Errback(new IOException(_marker));
            Assert.NotNull(outer.CurrentFailure);
        }

        var report = Assert.Single(tracker.TakePending());
        Assert.Equal(_marker, report.Failure.GetErrorMessage());
    }

    [Fact]
    public void FailureConsumedAfterTheTrackerWasUninstalled_LeavesTheTracker()
    {
        var tracker = NewTracker();
        Deferred<int> d;
        using (tracker.Install())
        {
            d = Deferred.Fail<int>(new IOException(_marker));
        }
        Assert.Equal(1, tracker.PendingCount);

        d.AddErrback(_ => 0);

        Assert.Equal(0, tracker.PendingCount);
    }

    [Fact]
    public void NoTrackerInstalled_FailureIsNotTracked()
    {
        var tracker = NewTracker();
        var d = Deferred.Fail<int>(new IOException(_marker));

        Assert.Equal(0, tracker.PendingCount);
        Assert.Null(UnhandledFailureTracker.Current);
        d.ConsumeFailure();
    }

    [Fact]
    public void Install_Nested_RestoresThePreviousTrackerOnDispose()
    {
        var outer = NewTracker();
        var inner = NewTracker();

        using (outer.Install())
        {
            using (inner.Install())
            {
                Assert.Same(inner, UnhandledFailureTracker.Current);
                Deferred.Fail<int>(new IOException(_marker));
            }
            Assert.Same(outer, UnhandledFailureTracker.Current);
        }

        Assert.Null(UnhandledFailureTracker.Current);
        Assert.Equal(1, inner.PendingCount);
        Assert.Equal(0, outer.PendingCount);
        inner.TakePending();
    }

    [Fact]
    public void TakePending_ReturnsTheReportsWithoutLogging()
    {
        var tracker = NewTracker();
        IOException error;
        using (tracker.Install())
        {
            error = new IOException(_marker);
            Deferred.Fail<int>(error);
        }

        var report = Assert.Single(tracker.TakePending());

        Assert.Same(error, report.Failure.Value);
        Assert.Equal("test scope", report.Scope);
        Assert.Null(report.Creator);
        Assert.Empty(_logs.With(_marker));
        Assert.Equal(0, tracker.PendingCount);
    }

    [Fact]
    public void ReportPending_RaisesReportedWithTheScope()
    {
        var tracker = NewTracker();
        var reports = new List<UnhandledErrorReport>();
        tracker.Reported += reports.Add;
        using (tracker.Install())
        {
            Deferred.Fail<int>(new IOException(_marker));
        }

        tracker.ReportPending();

        var report = Assert.Single(reports);
        Assert.Equal("test scope", report.Scope);
    }

    [Fact]
    public void DebugTracker_ReportIncludesTheCreationStack_OnlyForDeferredsMadeWhileInstalled()
    {
        var debug = NewTracker(debug: true);
        using (debug.Install())
        {
            CreateFailedDeferredInDebugScope(_marker);
            Assert.False(Deferred.Debug);
        }
        var plain = NewTracker();
        using (plain.Install())
        {
            CreateFailedDeferredInDebugScope(_marker);
        }

        debug.ReportPending();

        var entry = Assert.Single(_logs.With(_marker));
        Assert.Contains("created at", entry.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(CreateFailedDeferredInDebugScope), entry.Message, StringComparison.Ordinal);
        var undebugged = Assert.Single(plain.TakePending());
        Assert.Null(undebugged.Creator);
        Assert.Equal(string.Empty, undebugged.DebugText);
    }

    [Fact]
    public void ReportedByTheTracker_IsNotReportedAgainByTheFinalizer()
    {
        UnhandledErrors.Flush();
        var processDefault = new LogCapture();
        using var processDefaultInstalled = processDefault.InstallAsDefault();
        var tracker = NewTracker();
        FailUnconsumedUnder(tracker, _marker);

        Assert.Equal(1, tracker.ReportPending());
        UnhandledErrors.Flush();

        Assert.Single(_logs.With(_marker));
        Assert.Empty(processDefault.With(_marker));
    }

    [Fact]
    public void TrackedDeferredCollectedFirst_IsReportedByTheFinalizerThroughTheTracker_AndLeavesIt()
    {
        UnhandledErrors.Flush();
        var processDefault = new LogCapture();
        using var processDefaultInstalled = processDefault.InstallAsDefault();
        var tracker = NewTracker();
        var reports = new List<UnhandledErrorReport>();
        tracker.Reported += report =>
        {
            lock (reports)
            {
                reports.Add(report);
            }
        };
        FailUnconsumedUnder(tracker, _marker);

        UnhandledErrors.Flush();

        var entry = Assert.Single(_logs.With(_marker));
        Assert.Equal(LogLevel.Critical, entry.Level);
        Assert.Null(Assert.Single(reports).Scope);
        Assert.Empty(processDefault.With(_marker));
        Assert.Equal(0, tracker.PendingCount);
        Assert.Equal(0, tracker.ReportPending());
        Assert.Single(_logs.With(_marker));
    }

    [Fact]
    public void Logging_WhileInstalled_GoesToTheTrackersFactory()
    {
        UnhandledErrors.Flush();
        var processDefault = new LogCapture();
        using var processDefaultInstalled = processDefault.InstallAsDefault();
        var staticLogger = AsyncCoreLogging.CreateLogger("AsyncCore.Tests.Routing");
        var tracker = NewTracker();

        using (tracker.Install())
        {
            var d = new Deferred<int>(_ => throw new InvalidOperationException(_marker));
            d.Cancel();
            d.ConsumeFailure();
            staticLogger.LogWarning("routed {Marker}", _marker);
        }
        staticLogger.LogWarning("default {Marker}", _marker);

        Assert.Contains(_logs.With(_marker), e => e.Category == "AsyncCore.Deferred" && e.Level == LogLevel.Error);
        Assert.Contains(_logs.With(_marker), e => e.Category == "AsyncCore.Tests.Routing" && e.Message.StartsWith("routed", StringComparison.Ordinal));
        Assert.Equal(2, _logs.With(_marker).Count);
        var outside = Assert.Single(processDefault.With(_marker));
        Assert.StartsWith("default", outside.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProcessWideLogger_WhileATrackerIsInstalled_StillGoesToTheProcessWideFactory()
    {
        var processDefault = new LogCapture();
        using var processDefaultInstalled = processDefault.InstallAsDefault();
        var processWide = AsyncCoreLogging.CreateProcessWideLogger("AsyncCore.Tests.ProcessWide");
        using (NewTracker().Install())
        {
            processWide.LogWarning("installed {Marker}", _marker);
        }
        Assert.Empty(_logs.With(_marker));
        var entry = Assert.Single(processDefault.With(_marker));
        Assert.Equal("AsyncCore.Tests.ProcessWide", entry.Category);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CreateFailedDeferredInDebugScope(string marker) => Deferred.Fail<int>(new IOException(marker));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FailUnconsumedUnder(UnhandledFailureTracker tracker, string marker)
    {
        using (tracker.Install())
        {
            var d = new Deferred<int>();
            d.AddCallback(x => x + 1);
            d.Errback(new IOException(marker));
        }
    }
}
