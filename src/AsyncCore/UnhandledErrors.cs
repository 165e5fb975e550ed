using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AsyncCore;

/// <summary>
/// Where "Unhandled error in Deferred" reports go: a Deferred that is garbage-collected while its last result is a
/// <see cref="Failure"/> nobody handled is reported here, through <see cref="AsyncCoreLogging"/> and the
/// <see cref="Reported"/> event.
/// </summary>
/// <remarks>
/// Reports come from the garbage collector's finalizer thread, at a time the collector chooses. For a deterministic
/// check point (the end of a test, reactor shutdown) call <see cref="Flush"/>, which forces a full collection and waits
/// for the reports to be made.
/// </remarks>
public static class UnhandledErrors
{
    private static long s_count;

    /// <summary>
    /// Raised for each unhandled failure, on the finalizer thread (or the thread calling <see cref="Flush"/>'s
    /// collection). Handlers must be thread-safe and must not throw.
    /// </summary>
    public static event Action<UnhandledErrorReport>? Reported;

    /// <summary>How many unhandled failures have been reported since the process started.</summary>
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

    internal static void Report(Failure failure, StackTrace? creator, StackTrace? invoker)
    {
        Interlocked.Increment(ref s_count);
        var report = new UnhandledErrorReport(failure, creator, invoker);
        try
        {
            AsyncCoreLogging.Deferred.LogCritical(failure.Value, "Unhandled error in Deferred: {Failure}{DebugInfo}", failure, report.DebugText);
            Reported?.Invoke(report);
        }
#pragma warning disable CA1031 // A finalizer must never throw: a failing logger cannot be reported anywhere else.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}

/// <summary>One "Unhandled error in Deferred" report.</summary>
/// <param name="Failure">The failure that nothing handled.</param>
/// <param name="Creator">Where the Deferred was created, when <see cref="Deferred.Debug"/> was on.</param>
/// <param name="Invoker">Where the Deferred was first fired, when <see cref="Deferred.Debug"/> was on.</param>
public sealed record UnhandledErrorReport(Failure Failure, StackTrace? Creator, StackTrace? Invoker)
{
    /// <summary>The debug stacks as text, or an empty string when debugging was off.</summary>
    public string DebugText =>
        Creator is null && Invoker is null
            ? string.Empty
            : $"{Environment.NewLine}(debug: Deferred created at:{Environment.NewLine}{Creator}{Environment.NewLine}first fired at:{Environment.NewLine}{Invoker})";
}
