using StackExchange.Redis;

namespace AsyncCore.Redis;

/// <summary>
/// A MULTI/EXEC transaction made with <see cref="RedisClient.CreateTransaction"/>: add conditions (the multiplexer
/// WATCHes their keys and checks them), queue commands, then <see cref="Execute"/>. An aborted transaction is a result,
/// not an error: <see cref="Execute"/> fires with <see langword="false"/>, and the queued commands' Deferreds are never
/// fired (their commands did not run). On commit, each queued Deferred fires, in order, before <see cref="Execute"/>'s.
/// </summary>
public sealed class RedisTransaction
{
    private readonly RedisClient _client;
    private readonly ITransaction _transaction;
    private readonly List<Action> _deliveries = [];
    private readonly List<Task> _queued = [];
    private bool _executed;

    internal RedisTransaction(RedisClient client, ITransaction transaction)
    {
        _client = client;
        _transaction = transaction;
    }

    /// <summary>
    /// Adds a condition (for example <see cref="Condition.StringEqual(RedisKey, RedisValue)"/> or
    /// <see cref="Condition.KeyNotExists(RedisKey)"/>); the transaction commits only if every condition holds at EXEC.
    /// </summary>
    public RedisTransaction AddCondition(Condition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ThrowIfExecuted();
        _transaction.AddCondition(condition);
        return this;
    }

    /// <summary>
    /// Queues any command of StackExchange.Redis's <see cref="IDatabaseAsync"/> (for example
    /// <c>tx.Add(db => db.SetAddAsync(key, "x"))</c>); its Deferred fires on the reactor thread if the transaction commits.
    /// </summary>
    public Deferred<T> Add<T>(Func<IDatabaseAsync, Task<T>> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        ThrowIfExecuted();
        var task = command(_transaction);
        var reply = new Deferred<T>();
        _queued.Add(task);
        _deliveries.Add(() =>
        {
            if (task.IsCompletedSuccessfully)
            {
                reply.Callback(task.Result);
            }
            else if (task.Exception is { } error)
            {
                // A command can fail inside a committed transaction (WRONGTYPE): that is its own error.
                reply.Errback(error.InnerExceptions.Count == 1 ? error.InnerException! : error);
            }
        });
        return reply;
    }

    /// <summary>Queues GET.</summary>
    public Deferred<RedisValue> Get(RedisKey key) => Add(db => db.StringGetAsync(key));

    /// <summary>Queues SET (with an optional expiry).</summary>
    public Deferred<bool> Set(RedisKey key, RedisValue value, TimeSpan? expiry = null) => Add(db => db.StringSetAsync(key, value, expiry, When.Always));

    /// <summary>Queues INCRBY.</summary>
    public Deferred<long> Increment(RedisKey key, long amount = 1) => Add(db => db.StringIncrementAsync(key, amount));

    /// <summary>Queues DEL.</summary>
    public Deferred<bool> Delete(RedisKey key) => Add(db => db.KeyDeleteAsync(key));

    /// <summary>
    /// Sends the transaction. Fires on the reactor thread with <see langword="true"/> when it committed, or
    /// <see langword="false"/> when a condition failed (a WATCHed key changed): nothing ran, and the caller may retry.
    /// </summary>
    public Deferred<bool> Execute()
    {
        ThrowIfExecuted();
        _executed = true;
        var queued = _queued.ToArray();
        return _client.Track(
            async db =>
            {
                var committed = await _transaction.ExecuteAsync().ConfigureAwait(false);
                if (committed)
                {
                    // The queued replies complete with EXEC's; wait for all of them so that they are delivered together.
                    try
                    {
                        await Task.WhenAll(queued).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is RedisException or OperationCanceledException)
                    {
                        // Each queued Deferred reports its own command's error.
                    }
                }
                return committed;
            },
            committed =>
            {
                if (committed)
                {
                    foreach (var deliver in _deliveries)
                    {
                        deliver();
                    }
                }
                return committed;
            });
    }

    private void ThrowIfExecuted()
    {
        if (_executed)
        {
            throw new InvalidOperationException("The transaction was already executed: create a new one.");
        }
    }
}
