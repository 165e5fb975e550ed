namespace AsyncCore.Redis;

/// <summary>
/// A synchronization context that runs what is posted to it at once, on the posting thread. A task continuation
/// registered while it is current is invoked by the thread that completes the task, even when the task was created
/// with <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/> (the runtime posts such a continuation to its
/// captured context instead of queuing it to the thread pool). The continuations registered this way only set a flag
/// and hand over to the reactor, so running them on the completing thread is cheap and safe.
/// </summary>
internal sealed class InlineCompletionContext : SynchronizationContext
{
    public static readonly InlineCompletionContext Instance = new();

    private InlineCompletionContext()
    {
    }

    /// <summary>
    /// Runs <paramref name="continuation"/> on the thread that completes <paramref name="task"/> (at once when it is
    /// already complete).
    /// </summary>
    public static void OnCompleted(Task task, Action continuation)
    {
        if (task.IsCompleted)
        {
            continuation();
            return;
        }
        var previous = Current;
        SetSynchronizationContext(Instance);
        try
        {
            task.GetAwaiter().UnsafeOnCompleted(continuation);
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    public override void Post(SendOrPostCallback d, object? state) => d(state);

    public override void Send(SendOrPostCallback d, object? state) => d(state);

    public override SynchronizationContext CreateCopy() => this;
}
