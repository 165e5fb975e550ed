using System.Collections.Concurrent;
using AsyncCore.Reactor;

namespace AsyncCore.Redis;

/// <summary>
/// Hands StackExchange.Redis completions over to the reactor thread. Replies complete on the multiplexer's threads (or
/// the thread pool), in an order the continuations do not guarantee; the pump keeps the commands in the order they
/// were issued, which is the order Redis answers them on a connection, and delivers a reply only once every earlier
/// one has been delivered. Other work (pub/sub messages, connection events) goes through a FIFO inbox. A burst of
/// completions costs one <see cref="IReactorThreads.CallFromThread"/>: while a drain is scheduled or running, further
/// completions only set a flag that the drain picks up.
/// </summary>
internal sealed class ReplyPump
{
    /// <summary>How many replies and messages one hand-over delivers at most.</summary>
    internal const int MaxPerDrain = 1024;

    private readonly IReactorThreads _reactor;
    private readonly Action _drain;

    // Touched on the reactor thread only: commands are issued there and delivered there.
    private readonly Queue<PendingReply> _pending = new();
    private readonly ConcurrentQueue<Action> _inbox = new();
    private readonly List<Action> _idleWaiters = [];
    private int _scheduled;
    // Reactor thread only: set while the multiplexer parses bytes read on the reactor thread, and when that completed a reply.
    private bool _reading;
    private bool _completedWhileReading;
    private long _handOvers;

    public ReplyPump(IReactorThreads reactor)
    {
        _reactor = reactor;
        _drain = Drain;
    }

    /// <summary>The reactor the pump delivers on.</summary>
    public IReactorThreads Reactor => _reactor;

    /// <summary>Commands issued and not delivered yet (reactor thread).</summary>
    public int InFlight => _pending.Count;

    /// <summary>How many times the pump called into the reactor (tests check that bursts are batched).</summary>
    public long HandOvers => Interlocked.Read(ref _handOvers);

    /// <summary>Registers a command's task, on the reactor thread, in issue order; its reply is delivered in that order.</summary>
    public Deferred<T> Track<TRaw, T>(Task<TRaw> task, Func<TRaw, T> map)
    {
        var reply = new PendingReply<TRaw, T>(this, task, map);
        _pending.Enqueue(reply);
        // On the completing thread (the one that read the reply): a context-free continuation of a task completed with
        // RunContinuationsAsynchronously would first be queued to the thread pool, one more thread switch per reply
        // before the hand-over to the reactor.
        InlineCompletionContext.OnCompleted(task, reply.MarkCompleted);
        return reply.Deferred;
    }

    /// <summary>Runs <paramref name="action"/> on the reactor thread, after what was posted before it (any thread).</summary>
    public void Post(Action action)
    {
        _inbox.Enqueue(action);
        Schedule();
    }

    /// <summary>Fires once every command issued so far has been delivered (reactor thread).</summary>
    public Deferred<object?> WhenIdle()
    {
        var idle = new Deferred<object?>();
        if (_pending.Count == 0)
        {
            idle.Callback(null);
            return idle;
        }
        _idleWaiters.Add(() => idle.Callback(null));
        return idle;
    }

    internal void Schedule()
    {
        if (_reactor.IsReactorThread && _reading)
        {
            _completedWhileReading = true;
            return;
        }
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            Interlocked.Increment(ref _handOvers);
            _reactor.CallFromThread(_drain);
        }
    }

    /// <summary>
    /// Reactor thread: the multiplexer is about to parse bytes read on the reactor thread (<see cref="ReactorDuplexTransport"/>).
    /// The replies it completes until <see cref="EndReading"/> need no hand-over: they are delivered then, in one pass,
    /// outside the multiplexer's parsing.
    /// </summary>
    internal void BeginReading() => _reading = true;

    /// <summary>Reactor thread: the burst of bytes is parsed; delivers what it completed.</summary>
    internal void EndReading()
    {
        _reading = false;
        if (_completedWhileReading)
        {
            _completedWhileReading = false;
            Drain();
        }
    }

    private bool HasWork => !_inbox.IsEmpty || (_pending.TryPeek(out var head) && head.IsCompleted);

    private void Drain()
    {
        // A drain delivers at most this many items, then lets the reactor run its timers and I/O before the rest: a
        // stream of replies or messages must not hold the reactor thread for as long as it keeps coming.
        var budget = MaxPerDrain;
        while (true)
        {
            while (true)
            {
                if (budget-- == 0)
                {
                    // The flag stays set: this drain hands the rest over to the next one.
                    Interlocked.Increment(ref _handOvers);
                    _reactor.CallFromThread(_drain);
                    return;
                }
                if (_inbox.TryDequeue(out var action))
                {
                    action();
                    continue;
                }
                if (_pending.TryPeek(out var head) && head.IsCompleted)
                {
                    _pending.Dequeue();
                    head.Deliver();
                    continue;
                }
                break;
            }
            if (_pending.Count == 0 && _idleWaiters.Count > 0)
            {
                var waiters = _idleWaiters.ToArray();
                _idleWaiters.Clear();
                foreach (var waiter in waiters)
                {
                    waiter();
                }
                continue;
            }
            // Clear the flag, then look again: a completion that raced with the end of the loop either sees the flag
            // clear and schedules a drain itself, or is seen here.
            Interlocked.Exchange(ref _scheduled, 0);
            if (!HasWork || Interlocked.CompareExchange(ref _scheduled, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private abstract class PendingReply
    {
        private volatile bool _completed;

        public bool IsCompleted => _completed;

        protected abstract ReplyPump Pump { get; }

        public void MarkCompleted()
        {
            _completed = true;
            Pump.Schedule();
        }

        public abstract void Deliver();
    }

    private sealed class PendingReply<TRaw, T>(ReplyPump pump, Task<TRaw> task, Func<TRaw, T> map) : PendingReply
    {
        public Deferred<T> Deferred { get; } = new();

        protected override ReplyPump Pump => pump;

        public override void Deliver()
        {
            // A Deferred cancelled by its user ignores the late reply (Twisted's rule for a cancelled Deferred).
            if (task.IsCompletedSuccessfully)
            {
                T value;
                try
                {
                    value = map(task.Result);
                }
                catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
                {
                    Deferred.Errback(e);
                    return;
                }
                Deferred.Callback(value);
            }
            else if (task.IsCanceled)
            {
                Deferred.Errback(new OperationCanceledException("The Redis command was cancelled."));
            }
            else
            {
                var error = task.Exception!.InnerExceptions.Count == 1 ? task.Exception.InnerException! : task.Exception;
                Deferred.Errback(error);
            }
        }
    }
}
