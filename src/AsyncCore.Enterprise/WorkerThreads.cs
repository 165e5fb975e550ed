using System.Collections.Concurrent;

namespace AsyncCore.Enterprise;

/// <summary>
/// adbapi's model: a bounded set of worker threads, each with its own connection, taking calls from one FIFO queue.
/// Threads are started up to <see cref="ConnectionPoolOptions.Max"/> as calls arrive; calls beyond wait in the queue.
/// </summary>
internal sealed class WorkerThreads(ConnectionPool pool) : IExecutor
{
    private readonly ConcurrentQueue<WorkItem?> _queue = new();
    // Wakes sleeping workers only: a worker takes every queued call before it sleeps, so a busy pool costs no signal.
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Lock _gate = new();
    private int _sleepers;
    private int _threads;
    private int _pending;
    private int _started;
    private bool _running;
    private bool _closing;
    private Action<IReadOnlyList<WorkItem>>? _closed;

    public void Start()
    {
        lock (_gate)
        {
            if (_running || _closing)
            {
                return;
            }
            _running = true;
            var want = Math.Min(pool.Options.Max, Math.Max(pool.Options.Min, _pending));
            while (_threads < want)
            {
                Spawn();
            }
        }
    }

    public Exception? Submit(WorkItem item)
    {
        lock (_gate)
        {
            if (_closing)
            {
                return new ConnectionPoolClosedException($"The connection pool {pool.Name} is closed.");
            }
            var options = pool.Options;
            if (options.QueueLimit is { } limit && _pending - options.Max >= limit)
            {
                return new ConnectionPoolQueueFullException(
                    $"The connection pool {pool.Name} has {options.Max} calls running and {limit} waiting (QueueLimit).");
            }
            _pending++;
            _queue.Enqueue(item);
            if (_running && _threads < _pending && _threads < options.Max)
            {
                Spawn();
            }
        }
        WakeOne();
        return null;
    }

    /// <summary>Wakes a sleeping worker unless none sleeps or enough wake-ups are already on their way.</summary>
    private void WakeOne()
    {
        // The call was queued before the read below (full fence): a worker announcing sleep after it finds the call
        // when it re-checks the queue; one announced before is counted here.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _sleepers) > _signal.CurrentCount)
        {
            _signal.Release();
        }
    }

    /// <summary>The next call (null: stop), sleeping while the queue is empty.</summary>
    private WorkItem? Take()
    {
        while (true)
        {
            if (_queue.TryDequeue(out var item))
            {
                return item;
            }
            Interlocked.Increment(ref _sleepers);
            try
            {
                // Re-check after announcing: a call queued before the announcement did not signal. A wake-up may be
                // stale (meant for a call another worker took): then this loop simply looks again.
                if (_queue.TryDequeue(out item))
                {
                    return item;
                }
                _signal.Wait();
            }
            finally
            {
                Interlocked.Decrement(ref _sleepers);
            }
        }
    }

    public void Close(Action<IReadOnlyList<WorkItem>> closed)
    {
        List<WorkItem>? neverRan = null;
        lock (_gate)
        {
            _closing = true;
            _closed = closed;
            if (!_running || _threads == 0)
            {
                neverRan = [];
                while (_queue.TryDequeue(out var item))
                {
                    neverRan.Add(item!);
                }
            }
            else
            {
                // One stop marker per thread, behind the calls already queued: those still run (adbapi's ThreadPool.stop).
                for (var i = 0; i < _threads; i++)
                {
                    _queue.Enqueue(null);
                }
                _signal.Release(_threads);
            }
        }
        if (neverRan is not null)
        {
            closed(neverRan);
        }
    }

    private void Spawn()
    {
        _threads++;
        var number = ++_started;
        var thread = new Thread(Work)
        {
            // Background: a program that never closes its pool (nor stops its reactor) can still exit.
            IsBackground = true,
            Name = $"{pool.Name} worker {number}",
        };
        thread.Start();
    }

    private void Work()
    {
        var slot = new ConnectionSlot(pool);
        try
        {
            while (true)
            {
                // Calls are taken back to back while the queue has any: no signal, no sleep between them.
                if (Take() is not { } item)
                {
                    break;
                }
                var run = item.ExecuteAsync(slot, async: false);
                if (!run.IsCompleted)
                {
                    // Only RunInteractionAsync bodies really await; this thread is theirs until they finish.
                    run.AsTask().GetAwaiter().GetResult();
                }
                Interlocked.Decrement(ref _pending);
                pool.Deliver(item);
            }
        }
        finally
        {
            // adbapi closes each connection on the thread that opened it.
            slot.Discard();
            Action<IReadOnlyList<WorkItem>>? closed = null;
            lock (_gate)
            {
                if (--_threads == 0 && _closing)
                {
                    closed = _closed;
                }
            }
            closed?.Invoke([]);
        }
    }
}
