using AsyncCore.Reactor;
using StackExchange.Redis;

namespace AsyncCore.Redis;

// Blocking pops: each waiting call holds a connection of its own, taken from a small pool; cancelling one unblocks it
// with CLIENT UNBLOCK, and an element the server popped as the cancel arrived is pushed back where it came from.
public sealed partial class RedisClient
{
    /// <summary>How many idle blocking connections the client keeps for later calls; more are closed once used.</summary>
    internal const int MaxIdleBlockingConnections = 4;

    private readonly Stack<BlockingConnection> _idleBlocking = new();
    private readonly HashSet<BlockingCall> _activeBlocking = [];
    private Action? _whenBlockingSettled;

    internal int BlockingConnectionsOpened { get; private set; }

    internal int IdleBlockingConnections => _idleBlocking.Count;

    /// <summary>
    /// BLPOP: waits until <paramref name="key"/>'s list has an element and pops the first one, on a connection of its
    /// own (other commands are not held up). Fires with the element, or with <see cref="RedisValue.Null"/> after
    /// <paramref name="timeout"/> (null: wait for ever). Cancelling the Deferred unblocks the call; an element popped by
    /// the server as the cancel arrived is pushed back to the head of the list, so it is never lost.
    /// </summary>
    public Deferred<RedisValue> ListBlockingLeftPop(RedisKey key, TimeSpan? timeout = null) =>
        Blocking("BLPOP", [key, Seconds(timeout)], PoppedValue, value => PushBack(key, value, ListSide.Left));

    /// <summary>
    /// BRPOP: as <see cref="ListBlockingLeftPop"/>, from the tail; an element popped as a cancel arrived is pushed back
    /// to the tail.
    /// </summary>
    public Deferred<RedisValue> ListBlockingRightPop(RedisKey key, TimeSpan? timeout = null) =>
        Blocking("BRPOP", [key, Seconds(timeout)], PoppedValue, value => PushBack(key, value, ListSide.Right));

    /// <summary>
    /// BLMOVE: waits until <paramref name="source"/> has an element, then moves it from its <paramref name="from"/> end to
    /// <paramref name="destination"/>'s <paramref name="to"/> end, atomically; fires with the element, or with
    /// <see cref="RedisValue.Null"/> after <paramref name="timeout"/>. Cancelling unblocks the call; an element moved as
    /// the cancel arrived stays in <paramref name="destination"/> (the move happened; nothing is lost).
    /// </summary>
    public Deferred<RedisValue> ListBlockingMove(RedisKey source, RedisKey destination, ListSide from, ListSide to, TimeSpan? timeout = null) =>
        Blocking("BLMOVE", [source, destination, Side(from), Side(to), Seconds(timeout)], static r => (RedisValue)r, pushBack: null);

    private static object Seconds(TimeSpan? timeout)
    {
        if (timeout is not { } t)
        {
            return 0;
        }
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(t, TimeSpan.Zero, nameof(timeout));
        return t.TotalSeconds;
    }

    private static string Side(ListSide side) => side == ListSide.Left ? "LEFT" : "RIGHT";

    // BLPOP/BRPOP answer [key, element], or nil on timeout.
    private static RedisValue PoppedValue(RedisResult reply) => reply.IsNull ? RedisValue.Null : (RedisValue)reply[1];

    // Through the main connection even when the client is closing (a close waits for it).
    private Deferred<long> PushBack(RedisKey key, RedisValue value, ListSide side) =>
        TrackAlways(db => side == ListSide.Left ? db.ListLeftPushAsync(key, value) : db.ListRightPushAsync(key, value), static v => v);

    private Deferred<RedisValue> Blocking(string command, object[] args, Func<RedisResult, RedisValue> parse, Func<RedisValue, Deferred<long>>? pushBack)
    {
        if (_closed is not null)
        {
            return Deferred.Fail<RedisValue>(Closed());
        }
        var call = new BlockingCall();
        var result = new Deferred<RedisValue>(_ => CancelBlocking(call));
        call.Result = result;
        _activeBlocking.Add(call);
        AcquireBlockingConnection((connection, error) =>
        {
            if (connection is null)
            {
                Settle(call);
                result.Errback(error!);   // ignored by a cancelled Deferred
                return;
            }
            if (call.Cancelled)
            {
                ReleaseBlockingConnection(connection);
                Settle(call);
                return;
            }
            call.Connection = connection;
            connection.Database.ExecuteAsync(command, args).ContinueWith(
                task => _pump.Post(() => OnBlockingReply(call, result, task, parse, pushBack)),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        });
        return result;
    }

    private void OnBlockingReply(
        BlockingCall call, Deferred<RedisValue> result, Task<RedisResult> task, Func<RedisResult, RedisValue> parse, Func<RedisValue, Deferred<long>>? pushBack)
    {
        call.Answered = true;
        var connection = call.Connection!;
        if (!task.IsCompletedSuccessfully)
        {
            // A connection whose command failed (lost, or an error the server sent mid-block) is not reused.
            connection.Dispose();
            Settle(call);
            result.Errback(task.Exception?.InnerException ?? new OperationCanceledException("The blocking command was cancelled."));
            return;
        }
        ReleaseBlockingConnection(connection);
        var value = parse(task.Result);
        if (call.Cancelled)
        {
            if (!value.IsNull && pushBack is not null)
            {
                // The server popped it as the cancel arrived: nobody will see this reply, so it goes back to its list
                // (issued before Settle, so that a close waiting for the blocking calls also waits for the push). Should
                // the push fail (the connection is lost), its unhandled failure is reported with the element.
                _ = pushBack(value);
            }
            Settle(call);
            return;
        }
        Settle(call);
        result.Callback(value);
    }

    private void CancelBlocking(BlockingCall call)
    {
        if (call.Cancelled)
        {
            return;
        }
        call.Cancelled = true;
        if (call.Connection is not null)
        {
            Unblock(call);
        }
        // Otherwise the connection is still being acquired: it is released as soon as it arrives, unused.
    }

    // CLIENT UNBLOCK answers 0 when the connection is not blocked (yet): the BLPOP may still be on its way to the server,
    // so it is sent again until the blocked call has answered.
    private void Unblock(BlockingCall call)
    {
        if (call.Answered)
        {
            return;
        }
        _ = SendUnblock(call.Connection!.ClientId).AddCallbacks<object?>(
            unblocked =>
            {
                if (unblocked == 0 && !call.Answered)
                {
                    if (_pump.Reactor is IReactorTime time)
                    {
                        time.CallLater(TimeSpan.FromMilliseconds(1), () => Unblock(call));
                    }
                    else
                    {
                        Unblock(call);
                    }
                }
                return (object?)null;
            },
            static object? (Failure _) => null);   // the connection is gone: the blocked call fails by itself
    }

    // CLIENT UNBLOCK is an admin command for the multiplexer: on the main connection when the client allows admin
    // commands (then it is ordered after the commands issued before the cancel), otherwise on an admin connection of
    // the blocking pool's own, opened at the first cancel and kept.
    private Deferred<long> SendUnblock(long clientId)
    {
        if (_options.AllowAdmin)
        {
            return TrackAlways(db => db.ExecuteAsync("CLIENT", "UNBLOCK", clientId), static r => (long)r);
        }
        var sent = new Deferred<long>();
        WithControlConnection((control, error) =>
        {
            if (control is null)
            {
                sent.Errback(error!);
                return;
            }
            _pump.Track(control.GetDatabase().ExecuteAsync("CLIENT", "UNBLOCK", clientId), static r => (long)r).ChainDeferred(sent);
        });
        return sent;
    }

    private void WithControlConnection(Action<ConnectionMultiplexer?, Exception?> then)
    {
        if (_control is { } control)
        {
            then(control, null);
            return;
        }
        if (_waitingForControl is { } waiting)
        {
            waiting.Add(then);
            return;
        }
        _waitingForControl = [then];
        var options = BlockingConnection.Options(_options);
        options.ClientName = (_options.ClientName ?? "asynccore") + "-control";
        ConnectMultiplexer(_pump, options, (multiplexer, error) =>
        {
            _control = multiplexer;
            var waiters = _waitingForControl!;
            _waitingForControl = null;
            foreach (var waiter in waiters)
            {
                waiter(multiplexer, error);
            }
        });
    }

    private ConnectionMultiplexer? _control;
    private List<Action<ConnectionMultiplexer?, Exception?>>? _waitingForControl;

    private void Settle(BlockingCall call)
    {
        _activeBlocking.Remove(call);
        if (_activeBlocking.Count == 0 && _whenBlockingSettled is { } then)
        {
            _whenBlockingSettled = null;
            then();
        }
    }

    private void AcquireBlockingConnection(Action<BlockingConnection?, Exception?> then)
    {
        if (_idleBlocking.TryPop(out var idle))
        {
            then(idle, null);
            return;
        }
        BlockingConnectionsOpened++;
        ConnectMultiplexer(_pump, BlockingConnection.Options(_options), (multiplexer, error) =>
        {
            if (multiplexer is null)
            {
                then(null, error);
                return;
            }
            multiplexer.GetDatabase().ExecuteAsync("CLIENT", "ID").ContinueWith(
                task => _pump.Post(() =>
                {
                    if (task.IsCompletedSuccessfully)
                    {
                        then(new BlockingConnection(multiplexer, (long)task.Result), null);
                    }
                    else
                    {
                        _ = Task.Run(async () => await multiplexer.DisposeAsync().ConfigureAwait(false));
                        then(null, task.Exception?.InnerException ?? new OperationCanceledException("CLIENT ID was cancelled."));
                    }
                }),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        });
    }

    private void ReleaseBlockingConnection(BlockingConnection connection)
    {
        if (_closed is null && _idleBlocking.Count < MaxIdleBlockingConnections)
        {
            _idleBlocking.Push(connection);
        }
        else
        {
            connection.Dispose();
        }
    }

    // On close: every blocking call is cancelled (so its element, if popped meanwhile, is pushed back), then runs
    // `then` once none is left.
    private void WhenBlockingSettled(Action then)
    {
        foreach (var call in _activeBlocking.ToArray())
        {
            // The caller's Deferred fails with CancelledException; its canceller unblocks the call.
            call.Result!.Cancel();
        }
        if (_activeBlocking.Count == 0)
        {
            then();
        }
        else
        {
            _whenBlockingSettled = then;
        }
    }

    private void CloseIdleBlockingConnections()
    {
        if (_control is { } control)
        {
            _control = null;
            _ = Task.Run(async () => await control.DisposeAsync().ConfigureAwait(false));
        }
        while (_idleBlocking.TryPop(out var idle))
        {
            idle.Dispose();
        }
    }

    private sealed class BlockingCall
    {
        public Deferred? Result { get; set; }

        public BlockingConnection? Connection { get; set; }

        public bool Cancelled { get; set; }

        public bool Answered { get; set; }
    }
}
