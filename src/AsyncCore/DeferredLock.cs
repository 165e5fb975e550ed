namespace AsyncCore;

/// <summary>
/// A lock for code running on one thread that waits without blocking: <see cref="Acquire"/> returns a Deferred that
/// fires when the lock is yours (Twisted's <c>DeferredLock</c>). Waiters are served in FIFO order.
/// </summary>
/// <example>
/// <code>
/// var lockObj = new DeferredLock();
/// Deferred&lt;int&gt; d = lockObj.Run(() =&gt; UpdateRecordAsync());   // released on success or failure
/// </code>
/// </example>
public sealed class DeferredLock
{
    private readonly WaiterQueue<Deferred<DeferredLock>> _waiting = new();

    /// <summary>True while someone holds the lock.</summary>
    public bool Locked { get; private set; }

    /// <summary>How many acquirers are waiting.</summary>
    public int WaitingCount => _waiting.Count;

    /// <summary>
    /// Fires with the lock when it is free: synchronously if it is free now, otherwise after earlier waiters. Cancelling
    /// a waiting acquire removes it from the queue and fails it with <see cref="CancelledException"/>; cancelling one that
    /// already holds the lock does nothing.
    /// </summary>
    public Deferred<DeferredLock> Acquire()
    {
        var d = new Deferred<DeferredLock>(CancelAcquire);
        if (Locked)
        {
            _waiting.Enqueue(d);
        }
        else
        {
            Locked = true;
            d.Callback(this);
        }
        return d;
    }

    /// <summary>Releases the lock, handing it synchronously to the oldest waiter if any.</summary>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public void Release()
    {
        if (!Locked)
        {
            throw new InvalidOperationException("Release of a DeferredLock that is not locked.");
        }
        Locked = false;
        if (_waiting.TryDequeue(out var next))
        {
            Locked = true;
            next.Callback(this);
        }
    }

    /// <summary>Acquires, runs <paramref name="function"/>, and releases once its Deferred fires; the result passes through.</summary>
    public Deferred<T> Run<T>(Func<Deferred<T>> function) => ConcurrencyPrimitive.Run(Acquire(), function, Release);

    /// <summary>Acquires, runs <paramref name="function"/>, and releases; the result passes through.</summary>
    public Deferred<T> Run<T>(Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Run(() => Deferred.MaybeDeferred(function));
    }

    private void CancelAcquire(Deferred<DeferredLock> d) => _waiting.Remove(d);
}

/// <summary>Shared parts of <see cref="DeferredLock"/> and <see cref="DeferredSemaphore"/>.</summary>
internal static class ConcurrencyPrimitive
{
    public static Deferred<T> Run<TToken, T>(Deferred<TToken> acquired, Func<Deferred<T>> function, Action release)
    {
        ArgumentNullException.ThrowIfNull(function);
        return acquired.AddCallback(_ => Deferred.MaybeDeferred(function).AddFinally(release));
    }
}
