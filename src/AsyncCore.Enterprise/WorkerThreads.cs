using System.Collections.Concurrent;

namespace AsyncCore.Enterprise;

/// <summary>
/// adbapi's model: a bounded set of worker threads, each with its own connection, taking calls from one FIFO queue.
/// Threads are started up to <see cref="ConnectionPoolOptions.Max"/> as calls arrive; calls beyond wait in the queue.
/// </summary>
/// <remarks>
/// A worker takes queued calls back to back and sleeps only when the queue is empty; a call submitted then wakes one
/// sleeping worker (its own event, so exactly one thread wakes). A busy pool so costs no signal per call. A worker spins
/// briefly (the event's default) before it blocks: measured on 2 cores, blocking at once costs far more in wake-ups
/// than the spin costs in stolen time.
/// </remarks>
internal sealed class WorkerThreads(ConnectionPool pool) : IExecutor
{
    private readonly ConcurrentQueue<WorkItem?> _queue = new();
    private readonly Lock _gate = new();
    // Workers asleep waiting for a call, most recent on top (its cache is warmest). Guarded by _gate.
    private readonly Stack<ManualResetEventSlim> _sleeping = new();
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
            var want = Math.Min(pool.Options.Max, Math.Max(pool.Options.Min, Volatile.Read(ref _pending)));
            while (_threads < want)
            {
                Spawn();
            }
        }
    }

    public Exception? Submit(WorkItem item)
    {
        ManualResetEventSlim? wake = null;
        lock (_gate)
        {
            if (_closing)
            {
                return new ConnectionPoolClosedException($"The connection pool {pool.Name} is closed.");
            }
            var options = pool.Options;
            if (options.QueueLimit is { } limit && Volatile.Read(ref _pending) - options.Max >= limit)
            {
                return new ConnectionPoolQueueFullException(
                    $"The connection pool {pool.Name} has {options.Max} calls running and {limit} waiting (QueueLimit).");
            }
            // Workers decrement it outside the gate.
            var pending = Interlocked.Increment(ref _pending);
            _queue.Enqueue(item);
            if (_running && _threads < pending && _threads < options.Max)
            {
                Spawn();
            }
            // Under the gate, where a worker re-checks the queue before it sleeps: no wake-up can be missed.
            _sleeping.TryPop(out wake);
        }
        wake?.Set();
        return null;
    }

    public void Close(Action<IReadOnlyList<WorkItem>> closed)
    {
        List<WorkItem>? neverRan = null;
        ManualResetEventSlim[] wake = [];
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
                wake = [.. _sleeping];
                _sleeping.Clear();
            }
        }
        foreach (var sleeper in wake)
        {
            sleeper.Set();
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

    /// <summary>The next call (null: stop), sleeping on <paramref name="wake"/> while the queue is empty.</summary>
    private WorkItem? Take(ManualResetEventSlim wake)
    {
        while (true)
        {
            if (_queue.TryDequeue(out var item))
            {
                return item;
            }
            lock (_gate)
            {
                // Submit queues and pops a sleeper under the gate: a call queued before this re-check is found here,
                // one queued after finds this worker on the stack.
                if (_queue.TryDequeue(out item))
                {
                    return item;
                }
                wake.Reset();
                _sleeping.Push(wake);
            }
            wake.Wait();
        }
    }

    private void Work()
    {
        var slot = new ConnectionSlot(pool);
        using var wake = new ManualResetEventSlim(false);
        try
        {
            while (true)
            {
                if (Take(wake) is not { } item)
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
