using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace AsyncCore;

/// <summary>
/// What a Deferred remembers for diagnostics: in debug mode, the stacks that created it and first fired it; and the
/// failure it ended on, if nothing has handled it yet. That failure is registered with the
/// <see cref="UnhandledFailureTracker"/> installed on the thread (reported deterministically when the tracker's scope
/// ends), and, as a safety net, the finalizer reports it if the Deferred is garbage-collected still holding it and no
/// tracker has reported it (Twisted's "Unhandled error in Deferred").
/// </summary>
/// <remarks>
/// Only a Deferred in debug mode or one that stopped on a failure has one: the success path never allocates it.
/// </remarks>
internal sealed class DebugInfo
{
    // How many debug-mode trackers are installed on any thread. Process-wide so that the check made by every new Deferred
    // stays a static read when no tracker asks for debugging; the thread-static tracker is read only when one does.
    private static int s_debugTrackers;

    private Failure? _unhandled;
    private UnhandledFailureTracker.Entry? _entry;

    public StackTrace? Creator;
    public StackTrace? Invoker;

    /// <summary>
    /// In debug mode, the reactor thread the Deferred was created on (0: made off any reactor thread, not checked).
    /// Deferreds are reactor-thread objects; with debugging on, using one from another thread throws.
    /// </summary>
    public int OwnerThread;

    /// <summary>
    /// True when new Deferreds and Failures should record their stacks: <see cref="Deferred.Debug"/> (process-wide) or a
    /// debug-mode <see cref="UnhandledFailureTracker"/> installed on this thread.
    /// </summary>
    internal static bool Capturing
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Deferred.Debug || (s_debugTrackers != 0 && UnhandledFailureTracker.Current is { Debug: true });
    }

    internal static void DebugTrackerInstalled(int delta) => Interlocked.Add(ref s_debugTrackers, delta);

    /// <summary>The chain stopped on <paramref name="failure"/>: remember it, and track it if a tracker is installed.</summary>
    public void SetFailure(Failure failure, Deferred owner)
    {
        _ = owner;
        _unhandled = failure;
        if (_entry is { } entry)
        {
            if (!entry.Claimed)
            {
                // Still tracked (the chain stopped on a failure again before anything consumed it): keep the one entry.
                entry.Failure = failure;
                return;
            }
            if (ReferenceEquals(entry.Failure, failure))
            {
                // Already reported, and only passing through later stages: do not report it a second time.
                return;
            }
            _entry = null;
        }
        if (UnhandledFailureTracker.Current is { } tracker)
        {
            _entry = tracker.Register(failure, Creator, Invoker);
        }
    }

    /// <summary>The failure was consumed (or the chain moved on to a success).</summary>
    public void ClearFailure()
    {
        _unhandled = null;
        if (_entry is { } entry)
        {
            _entry = null;
            if (!entry.Claimed)
            {
                entry.Tracker.Unregister(entry);
            }
        }
    }

    ~DebugInfo()
    {
        if (_unhandled is null)
        {
            return;
        }
        var failure = _unhandled;
        _unhandled = null;
        if (_entry is { } entry)
        {
            // Tracked: the tracker reports it (through its logger factory) unless it already has.
            entry.Tracker.ReportCollected(entry);
        }
        else
        {
            UnhandledErrors.Report(new UnhandledErrorReport(failure, Creator, Invoker), tracker: null);
        }
    }
}
