using System.Collections.Concurrent;
using System.Diagnostics;

namespace AsyncCore.Enterprise;

/// <summary>
/// adbapi's model: a bounded set of worker threads, each with its own connection, taking calls from one FIFO queue.
/// Threads are started up to <see cref="ConnectionPoolOptions.Max"/> as calls arrive; calls beyond wait in the queue.
/// </summary>
/// <remarks>
/// <para>
/// A worker takes queued calls back to back and sleeps only when the queue is empty; a call submitted then wakes one
/// sleeping worker (its own event, so exactly one thread wakes). A busy pool so costs no signal per call, and once every
/// worker is started no lock either (the call is queued without the gate; see Submit). A worker spins briefly (the
/// event's default) before it blocks: measured on 2 cores, blocking at once costs far more in wake-ups than the spin
/// costs in stolen time.
/// </para>
/// <para>
/// Hand-backs are coalesced under load: while more calls are queued than the workers can start at once, a worker that
/// finished a fast call (under <see cref="FastCall"/>) queues its result for the reactor without waking it, and wakes it
/// once its held results are as many as the calls still pending (so the reactor refills the queue before it runs dry),
/// once the oldest has waited <see cref="MaxHold"/>, and always before it sleeps. Each wake of the reactor thread costs
/// a thread switch on a core that a worker needs; one wake per batch instead of one per call is what keeps two workers
/// and the reactor on two cores close to two threads doing the queries alone. A lone call, or any slow one, is handed
/// back at once. The price: a held result also waits for the next query its worker runs (interactions flush first), so
/// a slow query right behind fast ones delays their results by its own duration.
/// </para>
/// </remarks>
internal sealed class WorkerThreads(ConnectionPool pool) : IExecutor
{
    /// <summary>A call that ran for less than this may have its result held back briefly (see the remarks).</summary>
    internal static readonly long FastCall = Stopwatch.Frequency / 5_000; // 200 µs

    /// <summary>The longest a finished call's result is held back before the reactor is woken for it.</summary>
    internal static readonly long MaxHold = Stopwatch.Frequency / 1_000; // 1 ms

    private readonly ConcurrentQueue<WorkItem?> _queue = new();
    private readonly Lock _gate = new();
    // Workers asleep waiting for a call, most recent on top (its cache is warmest). Guarded by _gate.
    private readonly Stack<ManualResetEventSlim> _sleeping = new();
    // _sleeping.Count, written under _gate, read without it by Submit's open path.
    private int _sleepers;
    // True while every worker is started and nothing is left to check under the gate at Submit (running, not closing,
    // Max threads, no QueueLimit): a call is queued without taking the gate (see Submit). Written under _gate.
    private volatile bool _open;
    // The live workers' connection slots (not the abandoned ones), for the call-timeout watchdog. Guarded by _gate.
    private readonly List<ConnectionSlot> _slots = [];
    // Reactor thread only: while the pool fires a batch of results (BeginDelivery), a submit queues its call without
    // waking a worker and counts the wake-up it owes; EndDelivery pays them. Woken at once, a worker on the reactor's
    // core could take the core before the batch is fired, run one call and sleep again, once per call of the batch.
    private bool _delivering;
    private int _owedWakes;
    private int _threads;
    private int _pending;
    private int _started;
    private bool _running;
    private bool _closing;
    private bool _forced;
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
            UpdateOpen();
        }
    }

    public Exception? Submit(WorkItem item)
    {
        if (_open)
        {
            // The steady state of a busy pool: queue without the gate. The enqueue, then a full fence (the increment),
            // then the read of _sleepers; a worker going to sleep counts itself (a full fence), then looks at the queue
            // again: one of the two sees the other, so no call waits while every worker sleeps.
            _queue.Enqueue(item);
            Interlocked.Increment(ref _pending);
            if (_delivering)
            {
                _owedWakes++;
            }
            else if (Volatile.Read(ref _sleepers) > 0)
            {
                WakeOne();
            }
            return null;
        }
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
            if (_delivering)
            {
                _owedWakes++;
            }
            else
            {
                wake = PopSleeper();
            }
            UpdateOpen();
        }
        wake?.Set();
        return null;
    }

    /// <summary>Wakes one sleeping worker, if any; false when none was asleep.</summary>
    private bool WakeOne()
    {
        ManualResetEventSlim? sleeper;
        lock (_gate)
        {
            sleeper = PopSleeper();
        }
        sleeper?.Set();
        return sleeper is not null;
    }

    /// <summary>Under _gate.</summary>
    private ManualResetEventSlim? PopSleeper()
    {
        if (!_sleeping.TryPop(out var sleeper))
        {
            return null;
        }
        Volatile.Write(ref _sleepers, _sleeping.Count);
        return sleeper;
    }

    /// <summary>Under _gate: whether Submit may skip the gate (see _open).</summary>
    private void UpdateOpen() =>
        _open = _running && !_closing && _threads >= pool.Options.Max && pool.Options.QueueLimit is null;

    /// <summary>Workers asleep waiting for a call: for tests.</summary>
    internal int SleepingWorkers
    {
        get
        {
            lock (_gate)
            {
                return _sleeping.Count;
            }
        }
    }

    public void BeginDelivery() => _delivering = true;

    public void EndDelivery()
    {
        _delivering = false;
        // One sleeping worker per call submitted during the batch, as many as Submit would have woken one by one.
        for (; _owedWakes > 0; _owedWakes--)
        {
            if (!WakeOne())
            {
                break;
            }
        }
        _owedWakes = 0;
    }

    public void Close(Action<IReadOnlyList<WorkItem>> closed)
    {
        List<WorkItem>? neverRan = null;
        ManualResetEventSlim[] wake = [];
        lock (_gate)
        {
            _closing = true;
            _open = false;
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
                Volatile.Write(ref _sleepers, 0);
            }
        }
        foreach (var sleeper in wake)
        {
            sleeper.Set();
        }
        if (neverRan is not null)
        {
            Interlocked.Exchange(ref _closed, null)?.Invoke(neverRan);
        }
    }

    public ConnectionSlot[] Slots()
    {
        lock (_gate)
        {
            return [.. _slots];
        }
    }

    public void Abandon(ConnectionSlot slot)
    {
        lock (_gate)
        {
            if (_forced || !_slots.Remove(slot))
            {
                return;
            }
            // The stuck worker no longer counts, nor does its call; it closes its connection and ends when the call
            // returns. A new worker takes its place if calls are waiting (while closing: its share of the queue and its
            // stop marker).
            _threads--;
            var pending = Interlocked.Decrement(ref _pending);
            if (_closing || (_running && _threads < pending && _threads < pool.Options.Max))
            {
                Spawn();
            }
            UpdateOpen();
        }
    }

    public void ForceClose()
    {
        var neverRan = new List<WorkItem>();
        lock (_gate)
        {
            if (!_closing || _forced)
            {
                return;
            }
            _forced = true;
            // The queued calls will not run; the stop markers stay for the workers still finishing a call.
            var markers = 0;
            while (_queue.TryDequeue(out var item))
            {
                if (item is null)
                {
                    markers++;
                }
                else
                {
                    neverRan.Add(item);
                }
            }
            for (var i = 0; i < markers; i++)
            {
                _queue.Enqueue(null);
            }
        }
        Interlocked.Exchange(ref _closed, null)?.Invoke(neverRan);
    }

    private void Spawn()
    {
        _threads++;
        var number = ++_started;
        var slot = new ConnectionSlot(pool);
        _slots.Add(slot);
        var thread = new Thread(() => Work(slot))
        {
            // Background: a program that never closes its pool (nor stops its reactor) can still exit.
            IsBackground = true,
            Name = $"{pool.Name} worker {number}",
        };
        thread.Start();
    }

    /// <summary>
    /// The next call (null: stop), sleeping on <paramref name="wake"/> while the queue is empty. Results still
    /// <paramref name="held"/> back go to the reactor before this thread can sleep; <paramref name="slept"/> tells
    /// whether it did.
    /// </summary>
    private WorkItem? Take(ManualResetEventSlim wake, ref int held, out bool slept)
    {
        slept = false;
        while (true)
        {
            if (_queue.TryDequeue(out var item))
            {
                return item;
            }
            if (held > 0)
            {
                pool.Flush();
                held = 0;
                continue;
            }
            lock (_gate)
            {
                // Submit queues, then pops a sleeper under the gate or (open path) reads _sleepers: a call queued before
                // this re-check is found here, one queued after finds this worker counted and on the stack.
                wake.Reset();
                _sleeping.Push(wake);
                Interlocked.Exchange(ref _sleepers, _sleeping.Count);
                if (_queue.TryDequeue(out item))
                {
                    // Not asleep after all. On top still: pushed under the gate just now.
                    _sleeping.Pop();
                    Volatile.Write(ref _sleepers, _sleeping.Count);
                    return item;
                }
            }
            wake.Wait();
            slept = true;
        }
    }

    private void Work(ConnectionSlot slot)
    {
        using var wake = new ManualResetEventSlim(false);
        // Results this worker queued for the reactor without waking it, and when the first of them finished.
        var held = 0;
        long heldSince = 0;
        // When the previous call finished: a query taken right after it (no sleep between) counts as started then, for one
        // clock read per call instead of two; what lies between, a hand-back at most, is far below FastCall.
        long finished = 0;
        var abandoned = false;
        try
        {
            while (true)
            {
                if (Take(wake, ref held, out var slept) is not { } item)
                {
                    break;
                }
                if (held > 0 && item.Blocking)
                {
                    // User code may run for long: what is held goes first.
                    pool.Flush();
                    held = 0;
                }
                var started = slept || item.Blocking || finished == 0 ? Stopwatch.GetTimestamp() : finished;
                var deliver = item.Execute(slot, started);
                if (!item.TryKeepSlot())
                {
                    // The call timed out (or outlived the shutdown grace period) and another worker took this one's
                    // place: hand over what it produced, close the connection it may have left in any state, and end.
                    abandoned = true;
                    if (deliver)
                    {
                        pool.Deliver(item);
                    }
                    break;
                }
                finished = Stopwatch.GetTimestamp();
                var pending = Interlocked.Decrement(ref _pending);
                if (!deliver)
                {
                    // Cancelled: nothing to hand over.
                    continue;
                }
                pool.Hold(item);
                if (held++ == 0)
                {
                    heldSince = finished;
                }
                // Hold on while the queue has more than the workers can start and the calls are fast (see the remarks).
                var threads = Volatile.Read(ref _threads);
                if (pending <= threads || held >= pending || finished - started >= FastCall || finished - heldSince >= MaxHold)
                {
                    pool.Flush();
                    held = 0;
                }
            }
        }
        finally
        {
            if (held > 0)
            {
                pool.Flush();
            }
            // adbapi closes each connection on the thread that opened it.
            slot.Discard();
            Action<IReadOnlyList<WorkItem>>? closed = null;
            if (!abandoned)
            {
                lock (_gate)
                {
                    _slots.Remove(slot);
                    if (--_threads == 0 && _closing)
                    {
                        closed = Interlocked.Exchange(ref _closed, null);
                    }
                    UpdateOpen();
                }
            }
            closed?.Invoke([]);
        }
    }
}
