// A guided tour of AsyncCore's Deferred, runnable with: dotnet run --project samples/DeferredTour
// Each step prints what happens, in the order it happens: Deferreds fire synchronously, on the thread that fires them.
using System.Globalization;
using AsyncCore;
using AsyncCore.Tasks;

var clock = new Clock(); // virtual time: the tour needs no reactor and finishes instantly

Step("1. Callbacks run when the Deferred fires, and may change the result's type");
var price = new Deferred<int>();
_ = price.AddCallback(cents => cents / 100.0)
     .AddCallback(euros => euros.ToString("0.00 EUR", CultureInfo.InvariantCulture))
     .AddCallback(text => Console.WriteLine($"   formatted: {text}"));
Console.WriteLine("   nothing printed yet; firing with 1999 cents...");
price.Callback(1999);

Step("2. An exception moves the chain to the error path; an errback that returns a value recovers");
var risky = new Deferred<string>();
_ = risky.AddCallback(int (s) => int.Parse(s, CultureInfo.InvariantCulture))
     .AddErrback(failure =>
     {
         Console.WriteLine($"   errback saw {failure.Type.Name}: {failure.GetErrorMessage()}");
         return -1;
     })
     .AddCallback(n => Console.WriteLine($"   back on the success path with {n}"));
risky.Callback("not a number");

Step("3. A callback returning a Deferred pauses the chain until that one fires");
var user = new Deferred<string>();
var profile = new Deferred<string>();
_ = user.AddCallback(name => profile.AddCallback(p => $"{name}: {p}"))
    .AddCallback(line => Console.WriteLine($"   resumed with \"{line}\""));
user.Callback("alice");
Console.WriteLine($"   outer waiting on the inner one: {user.IsWaiting}");
profile.Callback("likes Twisted");

Step("4. DeferredList gathers several results, in input order");
var inputs = new[] { new Deferred<string>(), new Deferred<string>(), new Deferred<string>() };
_ = new DeferredList<string>(inputs, consumeErrors: true).AddCallback(results =>
{
    foreach (var item in results)
    {
        Console.WriteLine(item.Success ? $"   ok: {item.Value}" : $"   failed: {item.Failure!.GetErrorMessage()}");
    }
});
inputs[2].Callback("third");
inputs[0].Callback("first");
inputs[1].Errback(new InvalidOperationException("second went wrong"));

Step("5. Cancellation and timeouts (on a virtual clock)");
var slow = new Deferred<string>(d => Console.WriteLine("   canceller ran: stop the work here"));
_ = slow.AddTimeout(TimeSpan.FromSeconds(5), clock)
    .AddErrback(failure => $"gave up: {failure.Type.Name}")
    .AddCallback(r => Console.WriteLine($"   {r}"));
clock.Advance(TimeSpan.FromSeconds(5));

Step("6. async methods return Deferreds and await them");
var later = new Deferred<int>();
var sum = AddAsync(Deferred.Succeed(40), later);
Console.WriteLine($"   awaiting... has result: {sum.HasResult}");
later.Callback(2);
Console.WriteLine($"   sum = {sum.Result}");

Step("7. The iterator form, for code written in Twisted's inlineCallbacks style");
var greeting = Deferred.InlineCallbacks<string>(ic => Greet(ic, Deferred.Succeed("Bob")));
Console.WriteLine($"   {greeting.Result}");

Step("8. Locks and queues wait without blocking");
var queue = new DeferredQueue<string>();
_ = queue.Get().AddCallback(item => Console.WriteLine($"   got {item} (the get was waiting)"));
queue.Put("a message");

Console.WriteLine();
Console.WriteLine("Tour finished.");

static void Step(string title)
{
    Console.WriteLine();
    Console.WriteLine(title);
}

static async Deferred<int> AddAsync(Deferred<int> a, Deferred<int> b) => await a + await b;

static IEnumerable<Deferred> Greet(InlineCallbacks<string> ic, Deferred<string> name)
{
    yield return name;
    ic.Return($"hello, {ic.ResultOf(name)}");
}
