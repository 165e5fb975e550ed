using StackExchange.Redis;

namespace AsyncCore.Redis;

/// <summary>
/// A batch of commands made with <see cref="RedisClient.CreateBatch"/>: queue commands (each returns its Deferred),
/// then <see cref="Execute"/> sends them all together, back to back on the connection, without waiting for any reply in
/// between (pipelining; unlike a transaction they are not atomic, and other clients' commands may run in between).
/// Each queued Deferred fires on the reactor thread with its own reply or its own error, in the order the commands were
/// added, before <see cref="Execute"/>'s. Nothing is sent before <see cref="Execute"/>.
/// </summary>
public sealed class RedisBatch
{
    private readonly RedisClient _client;
    private readonly QueuedCommands _queued = new();
    private bool _executed;

    internal RedisBatch(RedisClient client) => _client = client;

    /// <summary>The number of commands queued.</summary>
    public int Count => _queued.Count;

    /// <summary>
    /// Queues any command of StackExchange.Redis's <see cref="IDatabaseAsync"/> (for example
    /// <c>batch.Add(db => db.SetAddAsync(key, "x"))</c>); <paramref name="command"/> is called when the batch is executed.
    /// </summary>
    public Deferred<T> Add<T>(Func<IDatabaseAsync, Task<T>> command)
    {
        ThrowIfExecuted();
        return _queued.Add(command);
    }

    /// <summary>Queues GET.</summary>
    public Deferred<RedisValue> Get(RedisKey key) => Add(db => db.StringGetAsync(key));

    /// <summary>Queues SET (with an optional expiry and condition).</summary>
    public Deferred<bool> Set(RedisKey key, RedisValue value, TimeSpan? expiry = null, When when = When.Always) =>
        Add(db => db.StringSetAsync(key, value, expiry, when));

    /// <summary>Queues INCRBY.</summary>
    public Deferred<long> Increment(RedisKey key, long amount = 1) => Add(db => db.StringIncrementAsync(key, amount));

    /// <summary>Queues DEL.</summary>
    public Deferred<bool> Delete(RedisKey key) => Add(db => db.KeyDeleteAsync(key));

    /// <summary>Queues HSET of one field.</summary>
    public Deferred<bool> HashSet(RedisKey key, RedisValue field, RedisValue value) => Add(db => db.HashSetAsync(key, field, value));

    /// <summary>Queues HGET.</summary>
    public Deferred<RedisValue> HashGet(RedisKey key, RedisValue field) => Add(db => db.HashGetAsync(key, field));

    /// <summary>
    /// Sends every queued command together. Fires on the reactor thread once every queued Deferred has fired (with its
    /// reply or its error: one command's failure does not fail the batch); its own failure is only for a batch that could
    /// not be sent at all (a closed client, a lazy client that could not connect: then each queued Deferred stays unfired).
    /// </summary>
    public Deferred<object?> Execute()
    {
        ThrowIfExecuted();
        _executed = true;
        return _client.Track(
            db =>
            {
                var batch = db.CreateBatch();
                var queued = _queued.Start(batch);
                batch.Execute();
                // Delivered together, in order, once the last reply is in.
                return QueuedCommands.WhenAllSettled(queued);
            },
            result =>
            {
                _queued.Deliver();
                return result;
            });
    }

    private void ThrowIfExecuted()
    {
        if (_executed)
        {
            throw new InvalidOperationException("The batch was already executed: create a new one.");
        }
    }
}
