using System.Diagnostics;
namespace AsyncCore.Enterprise;

/// <summary>
/// <see cref="PoolMode.Async"/>: no worker threads. Up to <see cref="ConnectionPoolOptions.Max"/> connections are lent
/// to calls one at a time and the calls use the provider's async API; calls beyond wait in a FIFO queue. With a provider
/// whose async API does real I/O (<see cref="ProviderInfo.TrueAsync"/>), a query or operation submitted on the reactor
/// thread starts right there: the reactor thread only sends it, and saves a thread-pool hop per call. Everything else
/// (synchronous interactions, a provider whose async API is synchronous underneath such as SQLite, the first call before
/// the provider is known) starts on the .NET thread pool, so nothing blocks the reactor thread. A call finishes
/// wherever the provider's I/O completes, and its Deferred fires on the reactor thread.
/// </summary>
internal sealed class AsyncExecutor(ConnectionPool pool) : IExecutor
{
    private readonly Lock _gate = new();
    private readonly Stack<ConnectionSlot> _idle = new();
    private readonly Queue<WorkItem> _waiting = new();
    // Every slot counted in _slots, idle or lent (not the abandoned ones), for the call-timeout watchdog.
    private readonly List<ConnectionSlot> _all = [];
    private int _slots;
    private int _running;
    private bool _started;
    private bool _closing;
    private bool _forced;
    private Action<IReadOnlyList<WorkItem>>? _closed;

    public void Start()
    {
        var launch = new List<(WorkItem, ConnectionSlot)>();
        lock (_gate)
        {
            if (_started || _closing)
            {
                return;
            }
            _started = true;
            while (_waiting.Count > 0 && TryTakeSlot(out var slot))
            {
                launch.Add((_waiting.Dequeue(), slot));
            }
        }
        foreach (var (item, slot) in launch)
        {
            Launch(item, slot);
        }
    }

    public Exception? Submit(WorkItem item)
    {
        ConnectionSlot? slot;
        lock (_gate)
        {
            if (_closing)
            {
                return new ConnectionPoolClosedException($"The connection pool {pool.Name} is closed.");
            }
            if (!_started || !TryTakeSlot(out slot))
            {
                if (pool.Options.QueueLimit is { } limit && _waiting.Count >= limit)
                {
                    return new ConnectionPoolQueueFullException(
                        $"The connection pool {pool.Name} has {pool.Options.Max} calls running and {limit} waiting (QueueLimit).");
                }
                _waiting.Enqueue(item);
                return null;
            }
        }
        Launch(item, slot);
        return null;
    }

    public void Close(Action<IReadOnlyList<WorkItem>> closed)
    {
        List<WorkItem>? neverRan = null;
        lock (_gate)
        {
            _closing = true;
            _closed = closed;
            if (!_started)
            {
                neverRan = [.. _waiting];
                _waiting.Clear();
            }
            else if (_running > 0)
            {
                // The running calls finish, then the waiting ones; the last one out closes the connections.
                return;
            }
        }
        DisposeIdle();
        Interlocked.Exchange(ref _closed, null)?.Invoke(neverRan ?? []);
    }

    public ConnectionSlot[] Slots()
    {
        lock (_gate)
        {
            return [.. _all];
        }
    }

    public void Abandon(ConnectionSlot slot)
    {
        WorkItem? next = null;
        ConnectionSlot? nextSlot = null;
        Action<IReadOnlyList<WorkItem>>? closed = null;
        lock (_gate)
        {
            if (_forced || !_all.Remove(slot))
            {
                return;
            }
            // The stuck call's connection no longer counts: a new one may serve the waiting calls. The stuck call closes
            // its connection when it returns.
            _slots--;
            _running--;
            if (_started && _waiting.Count > 0 && TryTakeSlot(out var taken))
            {
                next = _waiting.Dequeue();
                nextSlot = taken;
            }
            else if (_closing && _running == 0)
            {
                closed = Interlocked.Exchange(ref _closed, null);
            }
        }
        if (next is not null)
        {
            LaunchOnThreadPool(next, nextSlot!);
        }
        else if (closed is not null)
        {
            DisposeIdle();
            closed([]);
        }
    }

    public void ForceClose()
    {
        List<WorkItem> neverRan;
        lock (_gate)
        {
            if (!_closing || _forced)
            {
                return;
            }
            _forced = true;
            neverRan = [.. _waiting];
            _waiting.Clear();
        }
        DisposeIdle();
        Interlocked.Exchange(ref _closed, null)?.Invoke(neverRan);
    }

    private bool TryTakeSlot(out ConnectionSlot slot)
    {
        if (_idle.TryPop(out slot!))
        {
            _running++;
            return true;
        }
        if (_slots < pool.Options.Max)
        {
            _slots++;
            _running++;
            slot = new ConnectionSlot(pool);
            _all.Add(slot);
            return true;
        }
        return false;
    }

    private void Launch(WorkItem item, ConnectionSlot slot)
    {
        if (!item.Blocking && slot.Connection is not null && pool.Provider is { TrueAsync: true } && pool.IsReactorThread)
        {
            // Runs until the provider's first real await (the query is sent), then returns to the reactor.
            _ = RunAsync(item, slot);
            return;
        }
        LaunchOnThreadPool(item, slot);
    }

    private void LaunchOnThreadPool(WorkItem item, ConnectionSlot slot) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Self.RunAsync(state.Item, state.Slot), (Self: this, Item: item, Slot: slot), preferLocal: false);

    private async Task RunAsync(WorkItem item, ConnectionSlot slot)
    {
        while (true)
        {
            var deliver = await item.ExecuteAsync(slot, async: true, Stopwatch.GetTimestamp()).ConfigureAwait(false);
            if (deliver)
            {
                pool.Deliver(item);
            }
            if (!item.TryKeepSlot())
            {
                // The call timed out (or outlived the shutdown grace period): the slot was given up; close its connection.
                slot.Discard();
                return;
            }
            Action<IReadOnlyList<WorkItem>>? closed = null;
            WorkItem? next;
            var forced = false;
            lock (_gate)
            {
                if (_forced)
                {
                    forced = true;
                    // Closed by force while this call ran: nothing more runs here.
                    _running--;
                    _slots--;
                    _all.Remove(slot);
                    next = null;
                }
                else if (_waiting.TryDequeue(out next))
                {
                    // Hand this connection straight to the next waiting call.
                    if (!pool.IsReactorThread)
                    {
                        item = next;
                        continue;
                    }
                }
                else
                {
                    _running--;
                    _idle.Push(slot);
                    if (_closing && _running == 0)
                    {
                        closed = Interlocked.Exchange(ref _closed, null);
                    }
                }
            }
            if (forced)
            {
                slot.Discard();
                return;
            }
            if (next is not null)
            {
                // The call completed without leaving the reactor thread: the next one must not run here (it may block,
                // and a queue of calls completing at once would nest without bound).
                LaunchOnThreadPool(next, slot);
                return;
            }
            if (closed is not null)
            {
                DisposeIdle();
                closed([]);
            }
            return;
        }
    }

    private void DisposeIdle()
    {
        ConnectionSlot[] slots;
        lock (_gate)
        {
            slots = [.. _idle];
            _idle.Clear();
            foreach (var slot in slots)
            {
                _all.Remove(slot);
            }
        }
        foreach (var slot in slots)
        {
            slot.Discard();
        }
    }
}
