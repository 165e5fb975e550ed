// The Deferred tutorial's programs, one after another on a real reactor:
//   dotnet run --project samples/DeferredTutorial
// Each part prints a heading and what happens, in order. The whole run takes about a second.
using System.Globalization;
using System.Text.Json;
using AsyncCore;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Tasks;

return ReactorMain.React(reactor => Tutorial.Run(reactor));

internal static class Tutorial
{
    public static async Deferred<int> Run(IReactor reactor)
    {
        ExtractName();
        CallbackErrbackGrid();
        await ShortCuts();
        await ParallelLookup();
        await Countdown(reactor, from: 3);
        await WaitForFile(reactor);
        Console.WriteLine();
        Console.WriteLine("Tutorial finished.");
        return 0;
    }

    // 1. A callback takes the result of the one before it: a raw record becomes a name, then a greeting.
    private static void ExtractName()
    {
        Heading("1. Extract a name");
        var record = new Deferred<string>();
        _ = record
            .AddCallback(line => line.Split(';').Select(field => field.Split('=')).First(kv => kv[0] == "name")[1])
            .AddCallback(name => Console.WriteLine($"   hello, {name}"));
        record.Callback("id=7;name=alice;city=Lyon");
    }

    // 2. Twisted's callback/errback grid: each AddCallbacks pair is one row; the result takes the left column while it
    // succeeds and the right one after a failure, and a handler that returns normally moves it back to the left. Every
    // row records which side ran; the chain's final result is that path as JSON.
    private static void CallbackErrbackGrid()
    {
        Heading("2. The callback/errback grid, as JSON");
        foreach (var start in new[] { "success", "failure" })
        {
            var d = new Deferred<List<string>>();
            var path = d
                .AddCallbacks(p => Visit(p, "row 1: callback"), f => Recover(f, "row 1: errback"))
                .AddCallbacks(p => Fail(p, "row 2: callback raises"), f => Recover(f, "row 2: errback"))
                .AddCallbacks(p => Visit(p, "row 3: callback"), f => Recover(f, "row 3: errback recovers"))
                .AddCallback(p => JsonSerializer.Serialize(new { start, path = p }));
            if (start == "success")
            {
                d.Callback(["start"]);
            }
            else
            {
                d.Errback(new GridException(["start"], "fired with a failure"));
            }
            Console.WriteLine($"   {path.Result}");
        }
    }

    private static List<string> Visit(List<string> path, string step)
    {
        path.Add(step);
        return path;
    }

    private static List<string> Fail(List<string> path, string step)
    {
        path.Add(step);
        throw new GridException(path, step);
    }

    private static List<string> Recover(Failure failure, string step)
    {
        // The failure carries the path so far; a row that handles it returns to the callback column.
        var path = ((GridException)failure.Value).Path;
        path.Add(step);
        return path;
    }

    // 3. Results known at once need no waiting: Succeed and Fail make Deferreds that have already fired.
    private static async Deferred<int> ShortCuts()
    {
        Heading("3. Succeed and Fail short-cuts");
        var cache = new Dictionary<string, int>(StringComparer.Ordinal) { ["alice"] = 42 };
        Deferred<int> Lookup(string user) =>
            string.IsNullOrEmpty(user) ? Deferred.Fail<int>(new ArgumentException("no user name"))
            : cache.TryGetValue(user, out var score) ? Deferred.Succeed(score)
            : Deferred.Fail<int>(new KeyNotFoundException($"{user} is not cached"));

        Console.WriteLine($"   alice: {await Lookup("alice")} (fired before anyone waited: {Lookup("alice").Called})");
        try
        {
            await Lookup("bob");
        }
        catch (KeyNotFoundException e)
        {
            Console.WriteLine($"   bob: {e.Message}");
        }
        return 0;
    }

    // 4. Several lookups in flight together; the failures are consumed by the list, so none is reported as unhandled.
    private static async Deferred<int> ParallelLookup()
    {
        Heading("4. Parallel lookups, errors consumed");
        var users = new[] { "alice", "mallory", "carol" };
        var lookups = users.Select(user => user == "mallory"
            ? Deferred.Fail<string>(new UnauthorizedAccessException($"{user} may not be looked up"))
            : Deferred.Succeed($"{user}@example.org"));
        var results = await new DeferredList<string>(lookups, consumeErrors: true);
        for (var i = 0; i < results.Count; i++)
        {
            var item = results[i];
            Console.WriteLine(item.Success ? $"   {users[i]}: {item.Value}" : $"   {users[i]}: failed ({item.Failure!.GetErrorMessage()})");
        }
        return 0;
    }

    // 5. Twisted's countdown: each step schedules the next with CallLater; the last one fires the Deferred.
    private static Deferred<int> Countdown(IReactorTime clock, int from)
    {
        Heading("5. Countdown with CallLater");
        var done = new Deferred<int>();
        void Step(int n)
        {
            if (n == 0)
            {
                Console.WriteLine("   liftoff");
                done.Callback(0);
                return;
            }
            Console.WriteLine($"   {n}...");
            _ = clock.CallLater(TimeSpan.FromMilliseconds(100), () => Step(n - 1));
        }
        Step(from);
        return done;
    }

    // 6. Waiting for a file: a LoopingCall polls for it, and stopping the loop fires the Deferred that Start returned.
    // Here a timer creates the file a little later, standing in for another program writing it.
    private static async Deferred<int> WaitForFile(IReactorTime clock)
    {
        Heading("6. Waiting for a file with LoopingCall");
        var path = Path.Combine(Path.GetTempPath(), $"tutorial-{Guid.NewGuid():N}.txt");
        _ = clock.CallLater(TimeSpan.FromMilliseconds(250), () => File.WriteAllText(path, "ready"));
        var polls = 0;
        LoopingCall? poll = null;
        poll = new LoopingCall(clock, () =>
        {
            polls++;
            if (File.Exists(path))
            {
                poll!.Stop();
            }
        });
        await poll.Start(TimeSpan.FromMilliseconds(100));
        Console.WriteLine($"   {Path.GetFileName(path)} appeared after {polls.ToString(CultureInfo.InvariantCulture)} polls: \"{File.ReadAllText(path)}\"");
        File.Delete(path);
        return 0;
    }

    private static void Heading(string title)
    {
        Console.WriteLine();
        Console.WriteLine(title);
    }
}

internal sealed class GridException(List<string> path, string message) : Exception(message)
{
    public List<string> Path { get; } = path;
}
