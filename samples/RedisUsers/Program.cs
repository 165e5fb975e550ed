// Seed 003: HSET users into the "users" hash, then HGET them back, written twice: in Twisted's inlineCallbacks style
// (an iterator that yields Deferreds) and as an async Deferred method. Both resume on the reactor thread.
using AsyncCore;
using AsyncCore.Reactors;
using AsyncCore.Redis;
using StackExchange.Redis;

var server = Environment.GetEnvironmentVariable("ASYNCCORE_REDIS");
if (string.IsNullOrEmpty(server))
{
    Console.Error.WriteLine("ASYNCCORE_REDIS is not set. Start Redis with `eval \"$(bash eng/services.sh start)\"` and run again.");
    return 2;
}

const string Users = "sample:users";

return ReactorMain.React(async reactor =>
{
    var redis = await RedisClient.Connect(reactor, server + ",defaultDatabase=3");

    // Inline callbacks, as seed 003 wrote it with txredis: each `yield return` waits for the Deferred, and
    // ResultOf reads its result afterwards.
    var stored = await Deferred.InlineCallbacks<int>(ic => StoreUsers(ic, redis));
    Console.WriteLine($"stored {stored} user(s)");

    // The same reads as an async Deferred method.
    foreach (var user in new[] { "yoen", "ada", "nobody" })
    {
        Console.WriteLine($"{user} <{await EmailOf(redis, user) ?? "unknown"}>");
    }

    await redis.CloseAsync();
    return 0;
});

static IEnumerable<Deferred> StoreUsers(InlineCallbacks<int> ic, RedisClient redis)
{
    var added = 0;
    foreach (var (user, email) in new[] { ("yoen", "yoen@example.org"), ("ada", "ada@example.org") })
    {
        var set = redis.HashSet(Users, user, email);
        yield return set;
        added += ic.ResultOf(set) ? 1 : 0;
        var read = redis.HashGet(Users, user);
        yield return read;
        Console.WriteLine($"HGET {Users} {user} -> {(string?)ic.ResultOf(read)}");
    }
    var all = redis.HashLength(Users);
    yield return all;
    Console.WriteLine($"{ic.ResultOf(all)} field(s) in {Users} ({added} new)");
    ic.Return(added);
}

static async Deferred<string?> EmailOf(RedisClient redis, string user)
{
    RedisValue email = await redis.HashGet(Users, user);
    return email.IsNull ? null : (string?)email;
}
