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
    /// <paramref name="closed"/> (on any thread, once) with the calls that never ran (submitted to a pool that never
    /// started, or still queued when <see cref="ForceClose"/> came).
    /// </summary>
    void Close(Action<IReadOnlyList<WorkItem>> closed);

    /// <summary>The connection slots in use (idle or running a call, not abandoned), for the call-timeout watchdog.</summary>
    ConnectionSlot[] Slots();

    /// <summary>
    /// Reactor thread: stops counting <paramref name="slot"/>, whose call timed out (<see cref="WorkItem.TryAbandon"/>
    /// succeeded), and lets another connection serve the waiting calls. The stuck call closes the slot when it returns.
    /// </summary>
    void Abandon(ConnectionSlot slot);

    /// <summary>
    /// After <see cref="Close"/>: the shutdown grace period is over. The queued calls will not run, and the close
    /// completes now (<c>closed</c> is called) without waiting for the calls still running.
    /// </summary>
    void ForceClose();

    /// <summary>
    /// Reactor thread: the pool begins firing a batch of finished calls, whose callbacks may submit more. An executor
    /// may hold back waking its threads for those until <see cref="EndDelivery"/>.
    /// </summary>
    void BeginDelivery()
    {
    }

    /// <summary>Reactor thread: the batch begun by <see cref="BeginDelivery"/> has been fired.</summary>
    void EndDelivery()
    {
    }
}
