namespace AsyncCore.Enterprise;

/// <summary>
/// The Deferred of one pool call. Cancelling it detaches the call (<see cref="WorkItem.TryDetach"/>): a queued call never
/// runs, a running one has its outcome thrown away and its transaction rolled back; the Deferred then fails with
/// <see cref="CancelledException"/>.
/// </summary>
/// <remarks>
/// The canceller is one static delegate that finds the call through this Deferred, instead of a closure over the call
/// allocated per call (as much memory as the call itself, on every <c>RunQuery</c>).
/// </remarks>
internal sealed class CallDeferred<T> : Deferred<T>
{
    private WorkItem? _call;

    public CallDeferred(WorkItem call)
        : base(static deferred => ((CallDeferred<T>)deferred)._call?.TryDetach()) =>
        _call = call;

    /// <summary>
    /// The call is about to fire this Deferred, after which cancelling it does nothing: a handle the user keeps no longer
    /// keeps the call (its SQL text and arguments) alive, as the closure it replaces did not once fired.
    /// </summary>
    public void ReleaseCall() => _call = null;
}
