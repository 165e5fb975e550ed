namespace AsyncCore;

/// <summary>
/// A queue whose <see cref="Get"/> returns a Deferred: it fires at once when an item is pending, otherwise with the next
/// item put (Twisted's <c>DeferredQueue</c>). Optional bounds: <c>size</c> on pending items, <c>backlog</c> on waiting
/// getters.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class DeferredQueue<T>
{
    private readonly WaiterQueue<Deferred<T>> _waiting = new();
    private readonly Queue<T> _pending = new();

    /// <summary>Creates a queue.</summary>
    /// <param name="size">The most items that may be pending (null: unbounded). 0 means a put needs a waiting getter.</param>
    /// <param name="backlog">The most getters that may wait (null: unbounded). 0 means a get needs a pending item.</param>
    public DeferredQueue(int? size = null, int? backlog = null)
    {
        if (size < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "The size must be 0 or more.");
        }
        if (backlog < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(backlog), backlog, "The backlog must be 0 or more.");
        }
        Size = size;
        Backlog = backlog;
    }

    /// <summary>The bound on pending items, or null.</summary>
    public int? Size { get; }

    /// <summary>The bound on waiting getters, or null.</summary>
    public int? Backlog { get; }

    /// <summary>The number of items put and not yet taken.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>The number of getters waiting for an item.</summary>
    public int WaitingCount => _waiting.Count;

    /// <summary>
    /// Gives <paramref name="item"/> to the oldest waiting getter (synchronously), or keeps it pending.
    /// </summary>
    /// <exception cref="QueueOverflowException">No getter waits and <see cref="Size"/> items are already pending.</exception>
    public void Put(T item)
    {
        if (_waiting.TryDequeue(out var getter))
        {
            getter.Callback(item);
        }
        else if (Size is null || _pending.Count < Size)
        {
            _pending.Enqueue(item);
        }
        else
        {
            throw new QueueOverflowException();
        }
    }

    /// <summary>
    /// A Deferred firing with the next item: already fired when an item is pending. Cancelling a waiting get removes it,
    /// so a later put skips it.
    /// </summary>
    /// <exception cref="QueueUnderflowException">Nothing is pending and <see cref="Backlog"/> getters already wait.</exception>
    public Deferred<T> Get()
    {
        if (_pending.TryDequeue(out var item))
        {
            return Deferred.Succeed(item);
        }
        if (Backlog is null || _waiting.Count < Backlog)
        {
            var d = new Deferred<T>(CancelGet);
            _waiting.Enqueue(d);
            return d;
        }
        throw new QueueUnderflowException();
    }

    private void CancelGet(Deferred<T> d) => _waiting.Remove(d);
}
