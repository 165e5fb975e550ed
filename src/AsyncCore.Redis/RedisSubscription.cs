using StackExchange.Redis;

namespace AsyncCore.Redis;

/// <summary>
/// A channel or pattern subscription made with <see cref="RedisClient.Subscribe"/>. Its handler is called on the
/// reactor thread, once per message, in the order Redis sent them; the multiplexer subscribes again after a reconnect.
/// </summary>
public sealed class RedisSubscription
{
    private readonly ReplyPump _pump;
    private readonly ChannelMessageQueue _queue;
    private Deferred<object?>? _unsubscribed;

    internal RedisSubscription(ReplyPump pump, ChannelMessageQueue queue, Action<RedisChannel, RedisValue> handler)
    {
        _pump = pump;
        _queue = queue;
        Channel = queue.Channel;
        // OnMessage calls back one message at a time, in order; the pump's inbox keeps that order on the reactor.
        queue.OnMessage(message =>
        {
            var channel = message.Channel;
            var value = message.Message;
            pump.Post(() =>
            {
                if (_unsubscribed is null)
                {
                    handler(channel, value);
                }
            });
        });
    }

    /// <summary>The channel or pattern subscribed to.</summary>
    public RedisChannel Channel { get; }

    /// <summary>
    /// UNSUBSCRIBE (or PUNSUBSCRIBE): the handler is not called again from now on; fires on the reactor thread once the
    /// server has confirmed.
    /// </summary>
    public Deferred<object?> Unsubscribe()
    {
        if (_unsubscribed is not null)
        {
            return Deferred.Succeed<object?>(null);
        }
        var done = new Deferred<object?>();
        _unsubscribed = done;
        _queue.UnsubscribeAsync().ContinueWith(
            task => _pump.Post(() =>
            {
                if (task.IsFaulted)
                {
                    done.Errback(task.Exception!.InnerException!);
                }
                else
                {
                    done.Callback(null);
                }
            }),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return done;
    }
}
