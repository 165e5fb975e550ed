using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AsyncCore;

/// <summary>
/// The garbage collector's safety net for "Unhandled error in Deferred": a Deferred that is collected while its last
/// result is a <see cref="Failure"/> nobody consumed, and that no <see cref="UnhandledFailureTracker"/> has reported, is
/// reported when the collector finalizes it. The deterministic report is the tracker's (a reactor reports at shutdown).
/// </summary>
/// <remarks>
/// A collected Deferred that was tracked is reported through its tracker's logger factory and
/// <see cref="UnhandledFailureTracker.Reported"/> event; one created where no tracker was installed, through
/// <see cref="AsyncCoreLogging.LoggerFactory"/>. Either way the report is a Critical event on the
/// <c>AsyncCore.Deferred</c> category. Reports come from the finalizer thread, at a time the collector chooses;
/// <see cref="Flush"/> forces a full collection and waits for them.
/// </remarks>
public static class UnhandledErrors
{
    // Process-wide because the finalizer path may have no tracker to count in: the total over every tracker and the
    // collector, which is also how Flush tells how many reports it caused.
    private static long s_count;

    /// <summary>How many unhandled failures have been reported since the process started (by trackers and the collector).</summary>
    public static long Count => Interlocked.Read(ref s_count);

    /// <summary>
    /// Forces a full garbage collection and waits for finalizers, so that every unreachable Deferred holding an
    /// unhandled failure is reported now. Returns how many reports were made during the call.
    /// </summary>
    public static long Flush()
    {
        var before = Count;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return Count - before;
    }

    /// <summary>
    /// Logs one report through <paramref name="tracker"/>'s logger factory (the process default without one) and raises
    /// the tracker's event. Never throws: it runs on the finalizer thread too.
    /// </summary>
    internal static void Report(UnhandledErrorReport report, UnhandledFailureTracker? tracker)
    {
        Interlocked.Increment(ref s_count);
        try
        {
            var factory = tracker?.EffectiveLoggerFactory ?? AsyncCoreLogging.LoggerFactory;
            var logger = factory.CreateLogger(AsyncCoreLogging.DeferredCategory);
            if (report.Scope is { } scope)
            {
                logger.LogCritical(report.Failure.Value, "Unhandled error in Deferred (not consumed when {Scope} ended): {Failure}{DebugInfo}",
                    scope, report.Failure, report.DebugText);
            }
            else
            {
                logger.LogCritical(report.Failure.Value, "Unhandled error in Deferred: {Failure}{DebugInfo}", report.Failure, report.DebugText);
            }
            tracker?.OnReported(report);
        }
#pragma warning disable CA1031 // A finalizer must never throw: a failing logger cannot be reported anywhere else.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}

/// <summary>One "Unhandled error in Deferred" report.</summary>
/// <param name="Failure">The failure that nothing consumed.</param>
/// <param name="Creator">Where the Deferred was created, when debugging was on (<see cref="Deferred.Debug"/> or
/// <see cref="UnhandledFailureTracker.Debug"/>).</param>
/// <param name="Invoker">Where the Deferred was first fired, when debugging was on.</param>
public sealed record UnhandledErrorReport(Failure Failure, StackTrace? Creator, StackTrace? Invoker)
{
    /// <summary>
    /// The <see cref="UnhandledFailureTracker.Name"/> of the tracker that found the failure still unconsumed at the end
    /// of its scope; null when the garbage collector found it.
    /// </summary>
    public string? Scope { get; init; }

    /// <summary>The debug stacks as text, or an empty string when debugging was off.</summary>
    public string DebugText =>
        Creator is null && Invoker is null
            ? string.Empty
            : $"{Environment.NewLine}(debug: Deferred created at:{Environment.NewLine}{Creator}{Environment.NewLine}first fired at:{Environment.NewLine}{Invoker})";
}
