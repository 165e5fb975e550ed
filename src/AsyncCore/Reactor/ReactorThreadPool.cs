using Microsoft.Extensions.Logging;

namespace AsyncCore.Reactor;

/// <summary>
/// A bounded pool of dedicated threads for blocking work (Twisted's <c>ThreadPool</c>): workers are created on demand
/// up to <see cref="MaxThreads"/>, <see cref="MinThreads"/> are kept once started, work queued before
/// <see cref="Start"/> waits for it, and <see cref="Stop"/> lets queued work finish and joins every thread.
/// </summary>
/// <remarks>
/// Work runs with the <see cref="ExecutionContext"/> of the code that queued it (so <c>AsyncLocal</c> values and
/// logging scopes flow). An exception escaping a work item is logged. After <see cref="Stop"/>, new work is silently
/// dropped, as in Twisted.
/// </remarks>
public sealed class ReactorThreadPool
{
    private readonly object _lock = new();
    private readonly Queue<(Action Work, ExecutionContext? Context)> _queue = new();
    private readonly List<Thread> _threads = [];
    private readonly ILogger _logger;
    private int _idle;
    private int _working;
    private int _threadNumber;
    private bool _stopping;

    /// <summary>Creates a stopped pool.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not <c>0 &lt;= minThreads &lt;= maxThreads</c>, or <c>maxThreads</c> is 0.</exception>
    public ReactorThreadPool(int minThreads = 5, int maxThreads = 20, string? name = null)
        : this(minThreads, maxThreads, name, AsyncCoreLogging.CreateLogger("AsyncCore.Threads"))
    {
    }

    internal ReactorThreadPool(int minThreads, int maxThreads, string? name, ILogger logger)
    {
        Validate(minThreads, maxThreads);
        MinThreads = minThreads;
        MaxThreads = maxThreads;
        Name = name ?? "thread-pool";
        _logger = logger;
    }

    /// <summary>The pool's name; worker threads are called <c>{Name}-{n}</c>.</summary>
    public string Name { get; }

    /// <summary>Threads kept once started.</summary>
    public int MinThreads { get; private set; }

    /// <summary>The most threads the pool runs at once.</summary>
    public int MaxThreads { get; private set; }

    /// <summary>True between <see cref="Start"/> and <see cref="Stop"/>.</summary>
    public bool Started { get; private set; }

    /// <summary>True once <see cref="Stop"/> has joined every thread.</summary>
    public bool Joined { get; private set; }

    /// <summary>Threads alive.</summary>
    public int Workers
    {
        get
        {
            lock (_lock)
            {
                return _threads.Count;
            }
        }
    }

    /// <summary>Threads running a work item now.</summary>
    public int Working => Volatile.Read(ref _working);

    /// <summary>Threads waiting for work.</summary>
    public int Waiters => Volatile.Read(ref _idle);

    /// <summary>Work items queued and not started.</summary>
    public int QueueLength
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Starts <see cref="MinThreads"/> threads, plus enough (up to the maximum) for work already queued.</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (Started || _stopping)
            {
                return;
            }
            Started = true;
            var wanted = Math.Max(MinThreads, Math.Min(_queue.Count, MaxThreads));
            while (_threads.Count < wanted)
            {
                StartThread();
            }
        }
    }

    /// <summary>Queues <paramref name="work"/> to run on a pool thread (dropped once the pool is stopped).</summary>
    public void CallInThread(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        lock (_lock)
        {
            if (_stopping)
            {
                return;
            }
            _queue.Enqueue((work, ExecutionContext.Capture()));
            if (!Started)
            {
                return;
            }
            if (_idle >= _queue.Count)
            {
                Monitor.Pulse(_lock);
            }
            else if (_threads.Count < MaxThreads)
            {
                StartThread();
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="function"/> on a pool thread and then <paramref name="onResult"/> with its value or failure,
    /// on that same worker thread. An exception from <paramref name="onResult"/> is logged.
    /// </summary>
    public void CallInThreadWithCallback<T>(Action<Outcome<T>>? onResult, Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        CallInThread(() =>
        {
            Outcome<T> outcome;
            try
            {
                outcome = Outcome<T>.FromValue(function());
            }
            catch (Exception ex)
            {
                outcome = Outcome<T>.FromFailure(new Failure(ex));
            }
            if (onResult is null)
            {
                if (outcome.Failure is { } failure)
                {
                    _logger.LogError(failure.Value, "Unhandled exception in thread pool {Pool} work", Name);
                }
                return;
            }
            try
            {
                onResult(outcome);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Unhandled exception in a thread pool {Pool} result callback", Name);
            }
        });
    }

    /// <summary>Changes the bounds; takes effect at once when started (new threads for the minimum or the backlog, extra idle threads end).</summary>
    public void AdjustPoolSize(int minThreads, int maxThreads)
    {
        Validate(minThreads, maxThreads);
        lock (_lock)
        {
            MinThreads = minThreads;
            MaxThreads = maxThreads;
            if (!Started)
            {
                return;
            }
            var wanted = Math.Max(MinThreads, Math.Min(_queue.Count + _working, MaxThreads));
            while (_threads.Count < wanted)
            {
                StartThread();
            }
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>
    /// Refuses new work, lets queued work finish, and joins every thread (blocking the caller until in-flight work is
    /// done). Work queued but never started (the pool was not started) is dropped.
    /// </summary>
    public void Stop()
    {
        Thread[] threads;
        lock (_lock)
        {
            if (_stopping)
            {
                return;
            }
            _stopping = true;
            if (!Started)
            {
                _queue.Clear();
            }
            Started = false;
            threads = [.. _threads];
            Monitor.PulseAll(_lock);
        }
        foreach (var thread in threads)
        {
            if (thread != Thread.CurrentThread)
            {
                thread.Join();
            }
        }
        Joined = true;
    }

    private void StartThread()
    {
        var thread = new Thread(WorkerLoop) { IsBackground = true, Name = $"{Name}-{++_threadNumber}" };
        _threads.Add(thread);
        thread.Start();
    }

    private void WorkerLoop()
    {
        while (true)
        {
            (Action Work, ExecutionContext? Context) item;
            lock (_lock)
            {
                while (_queue.Count == 0 && !_stopping && _threads.Count <= MaxThreads)
                {
                    _idle++;
                    Monitor.Wait(_lock);
                    _idle--;
                }
                if (_queue.Count == 0 || _threads.Count > MaxThreads)
                {
                    _threads.Remove(Thread.CurrentThread);
                    return;
                }
                item = _queue.Dequeue();
                _working++;
            }
            try
            {
                if (item.Context is { } context)
                {
                    ExecutionContext.Run(context, static state => ((Action)state!)(), item.Work);
                }
                else
                {
                    item.Work();
                }
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Unhandled exception in thread pool {Pool} work", Name);
            }
            finally
            {
                lock (_lock)
                {
                    _working--;
                }
            }
        }
    }

    private static void Validate(int minThreads, int maxThreads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minThreads);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, Math.Max(1, minThreads));
    }
}
