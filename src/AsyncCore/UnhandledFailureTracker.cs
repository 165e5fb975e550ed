using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AsyncCore;

/// <summary>
/// Keeps, for the thread it is installed on, every failed Deferred that nobody has consumed yet, so that they can be
/// reported at a deterministic point (a reactor's shutdown, the end of a test) instead of whenever the garbage collector
/// finalizes them. A reactor installs its own on its thread for the whole run
/// (<see cref="AsyncCore.Reactor.ReactorBase.UnhandledFailures"/>); a test harness can install one around a test.
/// </summary>
/// <remarks>
/// <para>
/// A Deferred chain that stops on a <see cref="Failure"/> registers it with the tracker installed on the current thread
/// (<see cref="Current"/>), and unregisters it when the failure is consumed: a later errback handles it, the Deferred is
/// awaited, its <c>Result</c> is read, <see cref="Deferred.ConsumeFailure"/> is called, or the failure moves into a
/// Deferred that chained on it. <see cref="ReportPending"/> (or <see cref="TakePending"/>) then lists what is left.
/// Both operations take constant time (an intrusive doubly linked list); a chain that never fails does no work here.
/// </para>
/// <para>
/// A failure reported here is never reported again by the garbage collector's safety net
/// (<see cref="UnhandledErrors"/>); a tracked Deferred that is collected before the tracker reports is reported by the
/// collector, through this tracker's logger factory, and leaves the tracker. The tracker holds the failure, never the
/// Deferred, so a tracked Deferred can still be collected.
/// </para>
/// <para>
/// While installed, the tracker is also where AsyncCore logs on its thread: loggers made by
/// <see cref="AsyncCoreLogging.CreateLogger"/> (and the Deferred layer's own, for failing cancellers) write to its
/// <see cref="LoggerFactory"/>. Installation is per thread (thread-static): an <c>async</c> test that resumes on other
/// threads must install a tracker on each, or run on a reactor.
/// </para>
/// <para>
/// Thread-safety: install, register and report from the owning thread; the garbage collector's finalizer thread may
/// remove entries at the same time, which a lock taken only on the failure path makes safe.
/// </para>
/// </remarks>
public sealed class UnhandledFailureTracker
{
    [ThreadStatic]
    private static UnhandledFailureTracker? t_current;

    private readonly Lock _lock = new();
    private Entry? _head;
    private int _count;

    /// <summary>Creates a tracker; it tracks nothing until <see cref="Install"/>.</summary>
    /// <param name="name">What the tracker covers, used in reports ("reactor main", a test's name).</param>
    /// <param name="loggerFactory">Where reports and AsyncCore's logs on the installed thread go; null means
    /// <see cref="AsyncCoreLogging.LoggerFactory"/> (read when logging). <c>NullLoggerFactory.Instance</c> silences them.</param>
    public UnhandledFailureTracker(string name, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        LoggerFactory = loggerFactory;
    }

    /// <summary>The tracker installed on the current thread, or null.</summary>
    public static UnhandledFailureTracker? Current => t_current;

    /// <summary>What the tracker covers, as given to the constructor.</summary>
    public string Name { get; }

    /// <summary>The logger factory given to the constructor; null means <see cref="AsyncCoreLogging.LoggerFactory"/>.</summary>
    public ILoggerFactory? LoggerFactory { get; }

    /// <summary>
    /// When true, Deferreds and Failures created on a thread where this tracker is installed record their creation (and
    /// first firing) stacks, as <see cref="Deferred.Debug"/> does for the whole process; reports then include them.
    /// Costly: for tests and investigations.
    /// </summary>
    public bool Debug { get; init; }

    /// <summary>How many failed Deferreds are tracked and not consumed yet.</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>
    /// Raised for each report this tracker makes: from <see cref="ReportPending"/> on the calling thread, or from the
    /// garbage collector's finalizer thread for a tracked Deferred collected before that. Handlers must be thread-safe and
    /// must not throw.
    /// </summary>
    public event Action<UnhandledErrorReport>? Reported;

    /// <summary>
    /// Makes this tracker <see cref="Current"/> on the calling thread until the returned object is disposed (on the same
    /// thread, in reverse order of installation), when the previous one is restored.
    /// </summary>
    public IDisposable Install() => new Installation(this);

    /// <summary>
    /// Removes every tracked failure and returns them as reports, without logging them (for a test harness that fails
    /// the test with them). They will not be reported again, by this tracker or by the garbage collector.
    /// </summary>
    public IReadOnlyList<UnhandledErrorReport> TakePending()
    {
        List<Entry> taken;
        lock (_lock)
        {
            taken = new List<Entry>(_count);
            for (var entry = _head; entry is not null; entry = entry.Next)
            {
                taken.Add(entry);
            }
            foreach (var entry in taken)
            {
                Unlink(entry);
            }
        }
        var reports = new List<UnhandledErrorReport>(taken.Count);
        foreach (var entry in taken)
        {
            // An entry the finalizer claimed meanwhile has been reported there.
            if (entry.TryClaim())
            {
                reports.Add(new UnhandledErrorReport(entry.Failure, entry.Creator, entry.Invoker) { Scope = Name });
            }
        }
        return reports;
    }

    /// <summary>
    /// Reports every tracked failure that nobody consumed, as a Critical "Unhandled error in Deferred" event on the
    /// <c>AsyncCore.Deferred</c> category of <see cref="LoggerFactory"/> (with the debug stacks when they were recorded)
    /// and through <see cref="Reported"/>, and removes them. Returns how many were reported. A reactor calls this when it
    /// shuts down.
    /// </summary>
    public int ReportPending()
    {
        var reports = TakePending();
        foreach (var report in reports)
        {
            UnhandledErrors.Report(report, this);
        }
        return reports.Count;
    }

    /// <summary>The factory to log through now.</summary>
    internal ILoggerFactory EffectiveLoggerFactory => LoggerFactory ?? AsyncCoreLogging.LoggerFactory;

    internal void OnReported(UnhandledErrorReport report) => Reported?.Invoke(report);

    /// <summary>Tracks a failure a chain stopped on (the failure path: it may allocate).</summary>
    internal Entry Register(Failure failure, StackTrace? creator, StackTrace? invoker)
    {
        var entry = new Entry(this, failure, creator, invoker);
        lock (_lock)
        {
            entry.Next = _head;
            if (_head is not null)
            {
                _head.Previous = entry;
            }
            _head = entry;
            entry.Linked = true;
            _count++;
        }
        return entry;
    }

    /// <summary>Forgets a failure that was consumed.</summary>
    internal void Unregister(Entry entry)
    {
        lock (_lock)
        {
            Unlink(entry);
        }
    }

    /// <summary>Called by the finalizer of a tracked Deferred's diagnostics: reports it here unless already reported.</summary>
    internal void ReportCollected(Entry entry)
    {
        if (!entry.TryClaim())
        {
            return;
        }
        Unregister(entry);
        UnhandledErrors.Report(new UnhandledErrorReport(entry.Failure, entry.Creator, entry.Invoker), this);
    }

    private void Unlink(Entry entry)
    {
        if (!entry.Linked)
        {
            return;
        }
        if (entry.Previous is null)
        {
            _head = entry.Next;
        }
        else
        {
            entry.Previous.Next = entry.Next;
        }
        if (entry.Next is not null)
        {
            entry.Next.Previous = entry.Previous;
        }
        entry.Previous = null;
        entry.Next = null;
        entry.Linked = false;
        _count--;
    }

    /// <summary>
    /// One tracked failure: a node of the tracker's list, held by the Deferred's <see cref="DebugInfo"/>. It must never
    /// refer to the Deferred or its DebugInfo, or the tracker would keep them from being collected.
    /// </summary>
    internal sealed class Entry(UnhandledFailureTracker tracker, Failure failure, StackTrace? creator, StackTrace? invoker)
    {
        public readonly UnhandledFailureTracker Tracker = tracker;
        public readonly StackTrace? Creator = creator;
        public readonly StackTrace? Invoker = invoker;

        /// <summary>The failure the chain stopped on last (updated if it stops on another before being consumed).</summary>
        public Failure Failure = failure;

        // List links, guarded by the tracker's lock.
        public Entry? Previous;
        public Entry? Next;
        public bool Linked;

        private int _claimed;

        /// <summary>True once reported (or taken): nobody may report it again.</summary>
        public bool Claimed => Volatile.Read(ref _claimed) != 0;

        /// <summary>Claims the right to report the failure: true for exactly one caller (the tracker or the finalizer).</summary>
        public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;
    }

    /// <summary>One installation on one thread; restores the previous tracker when disposed.</summary>
    private sealed class Installation : IDisposable
    {
        private readonly UnhandledFailureTracker _tracker;
        private readonly UnhandledFailureTracker? _previous;
        private readonly int _threadId;
        private bool _disposed;

        public Installation(UnhandledFailureTracker tracker)
        {
            _tracker = tracker;
            _previous = t_current;
            _threadId = Environment.CurrentManagedThreadId;
            t_current = tracker;
            if (tracker.Debug)
            {
                DebugInfo.DebugTrackerInstalled(+1);
            }
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            // Another thread cannot reach the installing thread's slot; out of order (another tracker installed on top
            // and still there), the top one stays in place. Dispose must not throw, so both are left as they are.
            if (Environment.CurrentManagedThreadId == _threadId && ReferenceEquals(t_current, _tracker))
            {
                t_current = _previous;
            }
            if (_tracker.Debug)
            {
                DebugInfo.DebugTrackerInstalled(-1);
            }
        }
    }
}
