using AsyncCore.Reactors;
using System.Runtime.CompilerServices;
using AsyncCore.Reactor;
using AsyncCore.Tests.Deferreds;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AsyncCore.Tests.Reactor;

/// <summary>
/// A reactor reports, when it shuts down, every Deferred of its thread that failed and was never consumed, through the
/// logger factory the application gave it; and everything it runs logs there too, not on standard error. In the
/// process-wide collection: some tests force collections, redirect standard error or rely on the process default.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class ReactorUnhandledFailureTests
{
    private readonly string _marker = "marker-" + Guid.NewGuid().ToString("N");
    private readonly LogCapture _logs = new();

    private EventLoopReactor NewReactor(bool debug = false, TimeSpan? stallThreshold = null) => new(new ReactorOptions
    {
        Name = "reactor-" + _marker,
        LoggerFactory = _logs,
        DebugDeferreds = debug,
        StallThreshold = stallThreshold ?? Timeout.InfiniteTimeSpan,
    });

    [Fact]
    public void UnconsumedFailure_IsReportedAtShutdown_ThroughTheReactorsFactory_WithoutGarbageCollection()
    {
        var reactor = NewReactor();
        Deferred<int>? kept = null;
        reactor.CallWhenRunning(() =>
        {
            kept = new Deferred<int>();
            kept.AddCallback(x => x + 1);
            reactor.CallLater(TimeSpan.Zero, () => kept.Errback(new IOException(_marker)));
            reactor.CallLater(TimeSpan.FromMilliseconds(1), reactor.Stop);
        });

        reactor.RunWithSafetyNet();

        // The Deferred is still reachable: only the shutdown report can have found it.
        var entry = Assert.Single(_logs.With(_marker));
        Assert.Equal(LogLevel.Critical, entry.Level);
        Assert.Equal("AsyncCore.Deferred", entry.Category);
        Assert.StartsWith("Unhandled error in Deferred", entry.Message, StringComparison.Ordinal);
        Assert.Contains("reactor reactor-" + _marker, entry.Message, StringComparison.Ordinal);
        Assert.Equal(0, reactor.UnhandledFailures.PendingCount);
        GC.KeepAlive(kept);
    }

    [Fact]
    public void ConsumedFailures_AreNotReported()
    {
        var reactor = NewReactor();
        var kept = new List<Deferred>();
        reactor.CallWhenRunning(() =>
        {
            var handled = new Deferred<int>();
            handled.AddErrback(_ => 0);
            handled.Errback(new IOException(_marker));
            var awaited = new Deferred<int>();
            var method = CatchAsync(awaited);
            awaited.Errback(new IOException(_marker));
            var consumed = Deferred.Fail<int>(new IOException(_marker));
            consumed.ConsumeFailure();
            kept.AddRange([handled, awaited, method, consumed]);
            reactor.Stop();
        });

        reactor.RunWithSafetyNet();

        Assert.Empty(_logs.With(_marker));
        GC.KeepAlive(kept);

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
    public void TheReportComesAfterTheShutdownTriggers()
    {
        var reactor = NewReactor();
        Deferred<int>? consumedByTrigger = null;
        Deferred<int>? failedInTrigger = null;
        reactor.CallWhenRunning(() =>
        {
            consumedByTrigger = Deferred.Fail<int>(new IOException(_marker + " consumed"));
            reactor.Stop();
        });
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => consumedByTrigger!.AddErrback(_ => 0));
        reactor.AddSystemEventTrigger(SystemEventPhase.After, SystemEvents.Shutdown,
            () => failedInTrigger = Deferred.Fail<int>(new IOException(_marker + " late")));

        reactor.RunWithSafetyNet();

        var entry = Assert.Single(_logs.With(_marker));
        Assert.Contains(_marker + " late", entry.Message, StringComparison.Ordinal);
        GC.KeepAlive(consumedByTrigger);
        GC.KeepAlive(failedInTrigger);
    }

    [Fact]
    public void DebugDeferreds_ReportIncludesTheCreationStack()
    {
        var reactor = NewReactor(debug: true);
        Deferred<int>? kept = null;
        reactor.CallWhenRunning(() =>
        {
            kept = CreateFailingDeferredOnTheReactor(_marker);
            reactor.Stop();
        });

        reactor.RunWithSafetyNet();

        var entry = Assert.Single(_logs.With(_marker));
        Assert.Contains("created at", entry.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(CreateFailingDeferredOnTheReactor), entry.Message, StringComparison.Ordinal);
        Assert.False(Deferred.Debug);
        GC.KeepAlive(kept);
    }

    [Fact]
    public void ReportedAtShutdown_IsNotReportedAgainByTheFinalizer()
    {
        UnhandledErrors.Flush();
        var processDefault = new LogCapture();
        using var processDefaultInstalled = processDefault.InstallAsDefault();
        var reactor = NewReactor();
        var marker = _marker;
        reactor.CallWhenRunning(() =>
        {
            FailUnconsumed(marker);
            reactor.Stop();
        });

        reactor.RunWithSafetyNet();
        Assert.Single(_logs.With(_marker));
        UnhandledErrors.Flush();

        Assert.Single(_logs.With(_marker));
        Assert.Empty(processDefault.With(_marker));
    }

    [Fact]
    public void ApplicationFactory_ReceivesEverythingTheReactorRunsLogs_AndStandardErrorStaysSilent()
    {
        UnhandledErrors.Flush();
        var previous = Console.Error;
        using var stderr = new StringWriter();
        Console.SetError(stderr);
        try
        {
            var reactor = NewReactor(stallThreshold: TimeSpan.FromMilliseconds(5));
            var staticLogger = AsyncCoreLogging.CreateLogger("AsyncCore.Tests.Component");
            Deferred<int>? failing = null;
            reactor.CallWhenRunning(() =>
            {
                var cancelled = new Deferred<int>(_ => throw new InvalidOperationException(_marker + " canceller"));
                cancelled.Cancel();
                cancelled.ConsumeFailure();
                staticLogger.LogWarning("component {Marker}", _marker);
                failing = Deferred.Fail<int>(new IOException(_marker + " unhandled"));
                reactor.CallLater(TimeSpan.Zero, () => Thread.Sleep(30));
                reactor.CallLater(TimeSpan.FromMilliseconds(1), reactor.Stop);
            });

            reactor.RunWithSafetyNet();

            var entries = _logs.With(_marker);
            Assert.Contains(entries, e => e.Category == "AsyncCore.Deferred" && e.Level == LogLevel.Error && e.Exception is InvalidOperationException);
            Assert.Contains(entries, e => e.Category == "AsyncCore.Tests.Component" && e.Level == LogLevel.Warning);
            Assert.Contains(entries, e => e.Category == "AsyncCore.Deferred" && e.Level == LogLevel.Critical && e.Message.Contains(_marker + " unhandled", StringComparison.Ordinal));
            Assert.Contains(entries, e => e.Category == "AsyncCore.Reactor" && e.Message.Contains("stalled", StringComparison.Ordinal));
            Assert.DoesNotContain(_marker, stderr.ToString(), StringComparison.Ordinal);
            GC.KeepAlive(failing);
        }
        finally
        {
            Console.SetError(previous);
        }
    }

    [Fact]
    public void NoFactoryAnywhere_TheShutdownReportGoesToStandardError_AndNullLoggerFactorySilencesIt()
    {
        UnhandledErrors.Flush();
        var previous = Console.Error;
        using var stderr = new StringWriter();
        Console.SetError(stderr);
        try
        {
            var byDefault = new EventLoopReactor(new ReactorOptions { StallThreshold = Timeout.InfiniteTimeSpan });
            RunFailingOnce(byDefault, _marker + " default");
            var silenced = new EventLoopReactor(new ReactorOptions { StallThreshold = Timeout.InfiniteTimeSpan, LoggerFactory = NullLoggerFactory.Instance });
            RunFailingOnce(silenced, _marker + " silenced");

            var text = stderr.ToString();
            Assert.Contains("Unhandled error in Deferred", text, StringComparison.Ordinal);
            Assert.Contains(_marker + " default", text, StringComparison.Ordinal);
            Assert.DoesNotContain(_marker + " silenced", text, StringComparison.Ordinal);
        }
        finally
        {
            Console.SetError(previous);
        }

        static void RunFailingOnce(EventLoopReactor reactor, string message)
        {
            Deferred<int>? kept = null;
            reactor.CallWhenRunning(() =>
            {
                kept = Deferred.Fail<int>(new IOException(message));
                reactor.Stop();
            });
            reactor.RunWithSafetyNet();
            GC.KeepAlive(kept);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Deferred<int> CreateFailingDeferredOnTheReactor(string marker) => Deferred.Fail<int>(new IOException(marker));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FailUnconsumed(string marker)
    {
        var d = new Deferred<int>();
        d.AddCallback(x => x + 1);
        d.Errback(new IOException(marker));
    }
}
