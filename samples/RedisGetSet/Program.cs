// Seed 001: connect to database 3, GET a key, SET it if it is missing.
// Seed 003: HSET a user into the "users" hash, then HGET it back through an async Deferred method.
using AsyncCore;
using AsyncCore.Reactors;
using AsyncCore.Redis;

var server = Environment.GetEnvironmentVariable("ASYNCCORE_REDIS");
if (string.IsNullOrEmpty(server))
{
    Console.Error.WriteLine("ASYNCCORE_REDIS is not set. Start Redis with `eval \"$(bash eng/services.sh start)\"` and run again.");
    return 2;
}

return ReactorMain.React(async reactor =>
{
    var redis = await RedisClient.Connect(reactor, server + ",defaultDatabase=3");

    // Seed 001.
    string? greeting = await redis.Get("sample:greeting");
    if (greeting is null)
    {
        Console.WriteLine("sample:greeting is missing: setting it");
        await redis.Set("sample:greeting", "hello from AsyncCore");
        greeting = await redis.Get("sample:greeting");
    }
    Console.WriteLine($"sample:greeting = {greeting}");

    // Seed 003.
    await redis.HashSet("sample:users", "yoen", "yoen@example.org");
    Console.WriteLine($"yoen <{await EmailOf(redis, "yoen")}>");
    Console.WriteLine($"nobody <{await EmailOf(redis, "nobody") ?? "unknown"}>");

    await redis.CloseAsync();
    return 0;
});

// An async Deferred method: the awaits resume on the reactor thread, like Twisted's inlineCallbacks.
static async Deferred<string?> EmailOf(RedisClient redis, string user)
{
    var email = await redis.HashGet("sample:users", user);
    return email.IsNull ? null : (string?)email;
}
