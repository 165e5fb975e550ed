using StackExchange.Redis;

namespace AsyncCore.Redis;

// Subscriptions: the multiplexer's dedicated subscription connection, messages handed over through the pump's inbox.
public sealed partial class RedisClient
{
    /// <summary>
    /// SUBSCRIBE to a channel (<see cref="RedisChannel.Literal(string)"/>) or PSUBSCRIBE to a pattern
    /// (<see cref="RedisChannel.Pattern(string)"/>). <paramref name="handler"/> is called on the reactor thread with the
    /// channel and the message, in order. Fires once the server has confirmed the subscription.
    /// </summary>
    public Deferred<RedisSubscription> Subscribe(RedisChannel channel, Action<RedisChannel, RedisValue> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_closed is not null)
        {
            return Deferred.Fail<RedisSubscription>(Closed());
        }
        var subscribed = new Deferred<RedisSubscription>();
        WhenConnected(error =>
        {
            if (error is not null)
            {
                subscribed.Errback(error);
                return;
            }
            _subscriber!.SubscribeAsync(channel).ContinueWith(
                task => _pump.Post(() =>
                {
                    if (task.IsCompletedSuccessfully)
                    {
                        subscribed.Callback(new RedisSubscription(_pump, task.Result, handler));
                    }
                    else
                    {
                        subscribed.Errback(task.Exception?.InnerException ?? new OperationCanceledException("The subscription was cancelled."));
                    }
                }),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        });
        return subscribed;
    }
}
