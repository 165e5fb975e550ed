namespace AsyncCore;

/// <summary>
/// A semaphore for code running on one thread: at most <see cref="Limit"/> holders at once, waiters served in FIFO order
/// (Twisted's <c>DeferredSemaphore</c>). Typical use: limit how many requests run concurrently with <see cref="Run{T}(Func{Deferred{T}})"/>.
/// </summary>
public sealed class DeferredSemaphore
{
    private readonly WaiterQueue<Deferred<DeferredSemaphore>> _waiting = new();

    /// <summary>Creates a semaphore with <paramref name="tokens"/> tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is less than 1.</exception>
    public DeferredSemaphore(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        Limit = tokens;
        Tokens = tokens;
    }

    /// <summary>The number of tokens the semaphore was made with.</summary>
    public int Limit { get; }

    /// <summary>The number of tokens free now.</summary>
    public int Tokens { get; private set; }

    /// <summary>How many acquirers are waiting.</summary>
    public int WaitingCount => _waiting.Count;

    /// <summary>
    /// Fires with the semaphore once a token is yours: synchronously if one is free now. Cancelling a waiting acquire
    /// removes it from the queue and fails it with <see cref="CancelledException"/>.
    /// </summary>
    public Deferred<DeferredSemaphore> Acquire()
    {
        var d = new Deferred<DeferredSemaphore>(CancelAcquire);
        if (Tokens == 0)
        {
            _waiting.Enqueue(d);
        }
        else
        {
            Tokens--;
            d.Callback(this);
        }
        return d;
    }

    /// <summary>Returns a token, handing it synchronously to the oldest waiter if any.</summary>
    /// <exception cref="InvalidOperationException">More releases than acquires.</exception>
    public void Release()
    {
        if (Tokens >= Limit)
        {
            throw new InvalidOperationException("Release of a DeferredSemaphore that has no token out.");
        }
        Tokens++;
        if (_waiting.TryDequeue(out var next))
        {
            Tokens--;
            next.Callback(this);
        }
    }

    /// <summary>Acquires a token, runs <paramref name="function"/>, and releases once its Deferred fires.</summary>
    public Deferred<T> Run<T>(Func<Deferred<T>> function) => ConcurrencyPrimitive.Run(Acquire(), function, Release);

    /// <summary>Acquires a token, runs <paramref name="function"/>, and releases; the result passes through.</summary>
    public Deferred<T> Run<T>(Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Run(() => Deferred.MaybeDeferred(function));
    }

    private void CancelAcquire(Deferred<DeferredSemaphore> d) => _waiting.Remove(d);
}
