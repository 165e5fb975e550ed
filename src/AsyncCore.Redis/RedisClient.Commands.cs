using StackExchange.Redis;

namespace AsyncCore.Redis;

// The command groups: each is one StackExchange.Redis call whose reply is handed over to the reactor in order.
public sealed partial class RedisClient
{
    // ------------------------------------------------------------------------------------------------ strings

    /// <summary>GET: the value at <paramref name="key"/>, or <see cref="RedisValue.Null"/> when there is none.</summary>
    public Deferred<RedisValue> Get(RedisKey key) => Track(db => db.StringGetAsync(key));

    /// <summary>
    /// SET, optionally with an expiry and a condition (<see cref="When.NotExists"/> is SET NX); fires with whether
    /// the value was set.
    /// </summary>
    public Deferred<bool> Set(RedisKey key, RedisValue value, TimeSpan? expiry = null, When when = When.Always) =>
        Track(db => db.StringSetAsync(key, value, expiry, when));

    /// <summary>INCRBY: adds <paramref name="amount"/> to the integer at <paramref name="key"/>; fires with the new value.</summary>
    public Deferred<long> Increment(RedisKey key, long amount = 1) => Track(db => db.StringIncrementAsync(key, amount));

    /// <summary>DECRBY: subtracts <paramref name="amount"/> from the integer at <paramref name="key"/>; fires with the new value.</summary>
    public Deferred<long> Decrement(RedisKey key, long amount = 1) => Track(db => db.StringDecrementAsync(key, amount));

    /// <summary>INCRBYFLOAT: adds <paramref name="amount"/> to the number at <paramref name="key"/>; fires with the new value.</summary>
    public Deferred<double> IncrementByFloat(RedisKey key, double amount) => Track(db => db.StringIncrementAsync(key, amount));

    // ------------------------------------------------------------------------------------------------ hashes

    /// <summary>HINCRBY: adds <paramref name="amount"/> to the integer in <paramref name="field"/>; fires with the new value.</summary>
    public Deferred<long> HashIncrement(RedisKey key, RedisValue field, long amount = 1) =>
        Track(db => db.HashIncrementAsync(key, field, amount));

    /// <summary>HSET of one field; fires with whether the field is new.</summary>
    public Deferred<bool> HashSet(RedisKey key, RedisValue field, RedisValue value) =>
        Track(db => db.HashSetAsync(key, field, value));

    /// <summary>HSET of several fields.</summary>
    public Deferred<object?> HashSet(RedisKey key, params HashEntry[] fields) =>
        Track(db => ToObject(db.HashSetAsync(key, fields)), static v => v);

    /// <summary>HGET: the value of <paramref name="field"/>, or <see cref="RedisValue.Null"/>.</summary>
    public Deferred<RedisValue> HashGet(RedisKey key, RedisValue field) => Track(db => db.HashGetAsync(key, field));

    /// <summary>HGETALL: every field and value of the hash (empty when the key does not exist).</summary>
    public Deferred<HashEntry[]> HashGetAll(RedisKey key) => Track(db => db.HashGetAllAsync(key));

    /// <summary>HLEN: the number of fields in the hash (0 when the key does not exist).</summary>
    public Deferred<long> HashLength(RedisKey key) => Track(db => db.HashLengthAsync(key));

    /// <summary>HDEL of one field; fires with whether it existed.</summary>
    public Deferred<bool> HashDelete(RedisKey key, RedisValue field) => Track(db => db.HashDeleteAsync(key, field));

    // ------------------------------------------------------------------------------------------------ lists

    /// <summary>LPUSH; fires with the length of the list afterwards.</summary>
    public Deferred<long> ListLeftPush(RedisKey key, RedisValue value) => Track(db => db.ListLeftPushAsync(key, value));

    /// <summary>RPUSH; fires with the length of the list afterwards.</summary>
    public Deferred<long> ListRightPush(RedisKey key, RedisValue value) => Track(db => db.ListRightPushAsync(key, value));

    /// <summary>LPOP: the first element, or <see cref="RedisValue.Null"/> when the list is empty.</summary>
    public Deferred<RedisValue> ListLeftPop(RedisKey key) => Track(db => db.ListLeftPopAsync(key));

    /// <summary>RPOP: the last element, or <see cref="RedisValue.Null"/> when the list is empty.</summary>
    public Deferred<RedisValue> ListRightPop(RedisKey key) => Track(db => db.ListRightPopAsync(key));

    /// <summary>LRANGE (inclusive indexes; -1 is the last element).</summary>
    public Deferred<RedisValue[]> ListRange(RedisKey key, long start = 0, long stop = -1) =>
        Track(db => db.ListRangeAsync(key, start, stop));

    /// <summary>LLEN.</summary>
    public Deferred<long> ListLength(RedisKey key) => Track(db => db.ListLengthAsync(key));

    // ------------------------------------------------------------------------------------------------ sets

    /// <summary>SADD of one member; fires with whether it was added.</summary>
    public Deferred<bool> SetAdd(RedisKey key, RedisValue member) => Track(db => db.SetAddAsync(key, member));

    /// <summary>SREM of one member; fires with whether it was there.</summary>
    public Deferred<bool> SetRemove(RedisKey key, RedisValue member) => Track(db => db.SetRemoveAsync(key, member));

    /// <summary>SISMEMBER.</summary>
    public Deferred<bool> SetContains(RedisKey key, RedisValue member) => Track(db => db.SetContainsAsync(key, member));

    /// <summary>SMEMBERS, in no particular order.</summary>
    public Deferred<RedisValue[]> SetMembers(RedisKey key) => Track(db => db.SetMembersAsync(key));

    // ------------------------------------------------------------------------------------------------ sorted sets

    /// <summary>ZADD of one member with its score; fires with whether the member is new (its score is updated otherwise).</summary>
    public Deferred<bool> SortedSetAdd(RedisKey key, RedisValue member, double score) =>
        Track(db => db.SortedSetAddAsync(key, member, score));

    /// <summary>ZADD of several members; fires with how many are new.</summary>
    public Deferred<long> SortedSetAdd(RedisKey key, params SortedSetEntry[] entries) =>
        Track(db => db.SortedSetAddAsync(key, entries));

    /// <summary>ZSCORE: the member's score, or <see langword="null"/> when it is not in the set.</summary>
    public Deferred<double?> SortedSetScore(RedisKey key, RedisValue member) => Track(db => db.SortedSetScoreAsync(key, member));

    /// <summary>ZINCRBY: adds <paramref name="amount"/> to the member's score (from 0 for a new member); fires with the new score.</summary>
    public Deferred<double> SortedSetIncrement(RedisKey key, RedisValue member, double amount) =>
        Track(db => db.SortedSetIncrementAsync(key, member, amount));

    /// <summary>ZREM of one member; fires with whether it was there.</summary>
    public Deferred<bool> SortedSetRemove(RedisKey key, RedisValue member) => Track(db => db.SortedSetRemoveAsync(key, member));

    /// <summary>ZCARD: the number of members.</summary>
    public Deferred<long> SortedSetLength(RedisKey key) => Track(db => db.SortedSetLengthAsync(key));

    /// <summary>
    /// ZRANK (or ZREVRANK with <see cref="Order.Descending"/>): the member's 0-based rank, or <see langword="null"/> when
    /// it is not in the set.
    /// </summary>
    public Deferred<long?> SortedSetRank(RedisKey key, RedisValue member, Order order = Order.Ascending) =>
        Track(db => db.SortedSetRankAsync(key, member, order));

    /// <summary>ZRANGE by rank (inclusive indexes; -1 is the last), lowest score first unless <see cref="Order.Descending"/>.</summary>
    public Deferred<RedisValue[]> SortedSetRange(RedisKey key, long start = 0, long stop = -1, Order order = Order.Ascending) =>
        Track(db => db.SortedSetRangeByRankAsync(key, start, stop, order));

    /// <summary>ZRANGE by rank WITHSCORES: the members with their scores.</summary>
    public Deferred<SortedSetEntry[]> SortedSetRangeWithScores(RedisKey key, long start = 0, long stop = -1, Order order = Order.Ascending) =>
        Track(db => db.SortedSetRangeByRankWithScoresAsync(key, start, stop, order));

    /// <summary>
    /// ZRANGEBYSCORE: the members whose score is between <paramref name="min"/> and <paramref name="max"/> (inclusive unless
    /// <paramref name="exclude"/> says otherwise), at most <paramref name="take"/> of them after skipping <paramref name="skip"/>
    /// (-1: all).
    /// </summary>
    public Deferred<RedisValue[]> SortedSetRangeByScore(
        RedisKey key, double min = double.NegativeInfinity, double max = double.PositiveInfinity, Exclude exclude = Exclude.None,
        Order order = Order.Ascending, long skip = 0, long take = -1) =>
        Track(db => db.SortedSetRangeByScoreAsync(key, min, max, exclude, order, skip, take));

    /// <summary>ZRANGEBYSCORE WITHSCORES: as <see cref="SortedSetRangeByScore"/>, with the scores.</summary>
    public Deferred<SortedSetEntry[]> SortedSetRangeByScoreWithScores(
        RedisKey key, double min = double.NegativeInfinity, double max = double.PositiveInfinity, Exclude exclude = Exclude.None,
        Order order = Order.Ascending, long skip = 0, long take = -1) =>
        Track(db => db.SortedSetRangeByScoreWithScoresAsync(key, min, max, exclude, order, skip, take));

    // ------------------------------------------------------------------------------------------------ keys

    /// <summary>DEL of one key; fires with whether it existed.</summary>
    public Deferred<bool> Delete(RedisKey key) => Track(db => db.KeyDeleteAsync(key));

    /// <summary>EXISTS.</summary>
    public Deferred<bool> Exists(RedisKey key) => Track(db => db.KeyExistsAsync(key));

    /// <summary>EXPIRE (or PERSIST when <paramref name="expiry"/> is null); fires with whether the key exists.</summary>
    public Deferred<bool> Expire(RedisKey key, TimeSpan? expiry) => Track(db => db.KeyExpireAsync(key, expiry));

    /// <summary>TTL: the time left, or <see langword="null"/> when the key has no expiry or does not exist.</summary>
    public Deferred<TimeSpan?> TimeToLive(RedisKey key) => Track(db => db.KeyTimeToLiveAsync(key));

    /// <summary>
    /// SCAN: calls <paramref name="visit"/> on the reactor thread for each key matching <paramref name="pattern"/>, a
    /// page of about <paramref name="pageSize"/> keys per round trip, so that the reactor runs other work between pages
    /// however large the keyspace; <paramref name="visit"/> returning <see langword="false"/> stops the scan. Fires with
    /// the number of keys visited. As with SCAN, a key may be visited twice if the keyspace changes meanwhile.
    /// </summary>
    public async Deferred<long> ScanKeys(string pattern, Func<RedisKey, bool> visit, int pageSize = 250)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentNullException.ThrowIfNull(visit);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        long visited = 0;
        var cursor = "0";
        do
        {
            var page = await Execute("SCAN", cursor, "MATCH", pattern, "COUNT", pageSize);
            cursor = (string)page[0]!;
            foreach (var key in (RedisKey[])page[1]!)
            {
                visited++;
                if (!visit(key))
                {
                    return visited;
                }
            }
        }
        while (cursor != "0");
        return visited;
    }

    /// <summary>
    /// SCAN as an iterator for a <see cref="AsyncCore.Tasks.Cooperator"/> (Twisted's <c>coiterate</c>): each page is
    /// fetched by yielding the SCAN's Deferred (the cooperator waits for it without blocking the reactor), then each key
    /// of the page is one step that calls <paramref name="visit"/> on the reactor thread, so that a large page is spread
    /// over the cooperator's time slices too. Stop early with <see cref="AsyncCore.Tasks.CooperativeTask.Stop"/>; a
    /// failed SCAN fails the cooperative task. Nothing is sent until the cooperator takes the first step.
    /// </summary>
    public IEnumerable<Deferred?> ScanSteps(string pattern, Action<RedisKey> visit, int pageSize = 250)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentNullException.ThrowIfNull(visit);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        return Steps();

        IEnumerable<Deferred?> Steps()
        {
            var cursor = "0";
            do
            {
                RedisKey[] keys = [];
                yield return Execute("SCAN", cursor, "MATCH", pattern, "COUNT", pageSize).AddCallback(page =>
                {
                    cursor = (string)page[0]!;
                    keys = (RedisKey[])page[1]!;
                });
                foreach (var key in keys)
                {
                    visit(key);
                    yield return null;
                }
            }
            while (cursor != "0");
        }
    }

    /// <summary>
    /// SCAN as an asynchronous sequence of pages, for <c>await foreach</c> in an <c>async Deferred</c> method on the
    /// reactor thread: each page is one round trip, and the reactor runs other work while it is fetched. A page may be
    /// empty; a key may appear twice if the keyspace changes meanwhile (SCAN's own guarantees). Leaving the loop early
    /// sends nothing more.
    /// </summary>
    public async IAsyncEnumerable<RedisKey[]> ScanPages(
        string pattern, int pageSize = 250, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var cursor = "0";
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await Execute("SCAN", cursor, "MATCH", pattern, "COUNT", pageSize);
            cursor = (string)page[0]!;
            yield return (RedisKey[])page[1]!;
        }
        while (cursor != "0");
    }

    // ------------------------------------------------------------------------------------------------ anything else

    /// <summary>
    /// Any other command, by name with its arguments (for example <c>Execute("PING")</c> or
    /// <c>Execute("OBJECT", "ENCODING", "k")</c>); fires with the raw reply.
    /// </summary>
    public Deferred<RedisResult> Execute(string command, params object[] args)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        return Track(db => db.ExecuteAsync(command, args));
    }

    /// <summary>
    /// EVAL of a Lua script with its keys (KEYS[1..]) and arguments (ARGV[1..]). The multiplexer keeps a cache of the
    /// scripts it has loaded and sends EVALSHA once it knows the server has the script (EVAL again after NOSCRIPT).
    /// </summary>
    public Deferred<RedisResult> Evaluate(string script, RedisKey[]? keys = null, RedisValue[]? values = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(script);
        return Track(db => db.ScriptEvaluateAsync(script, keys, values));
    }

    // ------------------------------------------------------------------------------------------------ pub/sub

    /// <summary>PUBLISH; fires with the number of subscribers that received the message.</summary>
    public Deferred<long> Publish(RedisChannel channel, RedisValue message) =>
        Track(_ => _subscriber!.PublishAsync(channel, message));

    private static async Task<object?> ToObject(Task task)
    {
        await task.ConfigureAwait(false);
        return null;
    }
}
