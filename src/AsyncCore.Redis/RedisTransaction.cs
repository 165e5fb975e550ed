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
    private readonly List<Condition> _conditions = [];
    private readonly QueuedCommands _queued = new();
    private bool _executed;

    internal RedisTransaction(RedisClient client) => _client = client;

    /// <summary>
    /// Adds a condition (for example <see cref="Condition.StringEqual(RedisKey, RedisValue)"/> or
    /// <see cref="Condition.KeyNotExists(RedisKey)"/>); the transaction commits only if every condition holds at EXEC.
    /// </summary>
    public RedisTransaction AddCondition(Condition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ThrowIfExecuted();
        _conditions.Add(condition);
        return this;
    }

    /// <summary>
    /// Queues any command of StackExchange.Redis's <see cref="IDatabaseAsync"/> (for example
    /// <c>tx.Add(db => db.SetAddAsync(key, "x"))</c>); <paramref name="command"/> is called when the transaction is
    /// executed, and the Deferred fires on the reactor thread if the transaction commits.
    /// </summary>
    public Deferred<T> Add<T>(Func<IDatabaseAsync, Task<T>> command)
    {
        ThrowIfExecuted();
        return _queued.Add(command);
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
        return _client.Track(
            async db =>
            {
                var transaction = db.CreateTransaction();
                foreach (var condition in _conditions)
                {
                    transaction.AddCondition(condition);
                }
                var queued = _queued.Start(transaction);
                // StackExchange.Redis writes a transaction with conditions by sending them, then waiting on the writing
                // thread for their replies before it decides on MULTI or UNWATCH: not on the reactor thread, which may
                // be the one that reads those replies (ReactorTunnel) and must never block anyway. Commands issued
                // meanwhile wait until it is written, so that Redis runs them after it, as they were issued.
                var written = Task.Factory.StartNew(
                    () => transaction.ExecuteAsync(), CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
                _client.HoldCommandsUntil(written);
                var committed = await (await written.ConfigureAwait(false)).ConfigureAwait(false);
                if (committed)
                {
                    // The queued replies complete with EXEC's; wait for all of them so that they are delivered together.
                    await QueuedCommands.WhenAllSettled(queued).ConfigureAwait(false);
                }
                return committed;
            },
            committed =>
            {
                if (committed)
                {
                    _queued.Deliver();
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
