namespace AsyncCore.Tests.Deferreds;

/// <summary>
/// A synchronization context that queues what is posted to it until the test runs it: stands in for the reactor thread
/// so that hand-overs to it are deterministic.
/// </summary>
internal sealed class ManualSynchronizationContext : SynchronizationContext
{
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _posted = new();

    public int PendingCount
    {
        get
        {
            lock (_posted)
            {
                return _posted.Count;
            }
        }
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        lock (_posted)
        {
            _posted.Enqueue((d, state));
        }
    }

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();

    /// <summary>Runs everything posted so far, as this context.</summary>
    public int RunPending()
    {
        var ran = 0;
        var previous = Current;
        SetSynchronizationContext(this);
        try
        {
            while (true)
            {
                (SendOrPostCallback Callback, object? State) item;
                lock (_posted)
                {
                    if (!_posted.TryDequeue(out item))
                    {
                        return ran;
                    }
                }
                item.Callback(item.State);
                ran++;
            }
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    /// <summary>Runs <paramref name="action"/> with this context current.</summary>
    public T Within<T>(Func<T> action)
    {
        var previous = Current;
        SetSynchronizationContext(this);
        try
        {
            return action();
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }
}
