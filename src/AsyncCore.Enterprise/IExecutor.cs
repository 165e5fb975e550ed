namespace AsyncCore.Enterprise;

/// <summary>Where a pool runs its calls: its own worker threads, or the provider's async I/O.</summary>
internal interface IExecutor
{
    /// <summary>Begins running calls (calls submitted before wait until then).</summary>
    void Start();

    /// <summary>Queues <paramref name="item"/>; returns the error to fail it with at once, or null.</summary>
    Exception? Submit(WorkItem item);

    /// <summary>
    /// Stops taking calls, lets the ones already queued finish, closes every connection, then calls
    /// <paramref name="closed"/> (on any thread) with the calls that never ran (submitted to a pool that never started).
    /// </summary>
    void Close(Action<IReadOnlyList<WorkItem>> closed);
}
