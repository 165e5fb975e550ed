using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Testing;

/// <summary>
/// The end-of-test checks of Twisted's trial, independent of the test framework: a test that leaves a Failure
/// unhandled, a delayed call pending, a port listening or a connection open fails, with each problem listed. Create one
/// when a test starts, <see cref="Watch(IReactorTime)"/> the clocks and reactors the test uses, and call
/// <see cref="Verify"/> when it ends; the xunit adapters' <c>ReactorTestBase</c> does all of this.
/// </summary>
/// <remarks>
/// <para>
/// The janitor's <see cref="Tracker"/> is installed on the creating thread and follows the async flow from there (every
/// thread an <c>await</c> of the test resumes on), so a Deferred that fails in the test's code and that nothing consumes
/// is caught deterministically, not whenever the garbage collector finds it. Failures a test expects are taken out with
/// <see cref="FlushLoggedErrors"/>. Code running on a real reactor thread is covered by the reactor's own tracker:
/// <see cref="ReactorTestRunner.RunAsync{T}"/> hands what it caught to <see cref="AddUnhandled"/>.
/// </para>
/// <para>
/// With <c>debug</c>, Deferreds created in the test record where they were created and first fired, and the report
/// of each unhandled failure shows both stacks.
/// </para>
/// </remarks>
public sealed class TestJanitor : IDisposable
{
    private readonly List<UnhandledErrorReport> _unhandled = [];
    private readonly List<LoggedError> _logged = [];
    private readonly List<string> _problems = [];
    private readonly List<IReactorTime> _clocks = [];
    private readonly List<MemoryReactor> _reactors = [];
    private readonly UnhandledFailureTracker? _previous;
    private bool _disposed;

    /// <summary>Starts watching a test: installs <see cref="Tracker"/> on the calling async flow.</summary>
    /// <param name="name">The test's name, used in reports.</param>
    /// <param name="debug">Record creation stacks of Deferreds (costly), so that reports show them.</param>
    public TestJanitor(string name, bool debug = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        LoggerFactory = new LoggedErrorCapture(AddLoggedError);
        Tracker = new UnhandledFailureTracker(name, LoggerFactory) { Debug = debug };
        _previous = TrackerFlow.Current;
        TrackerFlow.Set(Tracker);
    }

    /// <summary>The test's name.</summary>
    public string Name { get; }

    /// <summary>The tracker catching the test's unhandled failures.</summary>
    public UnhandledFailureTracker Tracker { get; }

    /// <summary>
    /// The logger factory of the test's code: what AsyncCore logs on the test's async flow comes here, and so should a
    /// real reactor's logs (<c>ReactorOptions.LoggerFactory</c>; <see cref="ReactorTestRunner"/> does this). Every entry
    /// goes on to <see cref="AsyncCoreLogging.LoggerFactory"/>; an error logged with an exception also fails the test
    /// unless it is flushed with <see cref="FlushLoggedErrors"/> (trial's logged errors).
    /// </summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Checks at the end that <paramref name="clock"/> (a <c>Clock</c>, a reactor) has no delayed call pending.</summary>
    public void Watch(IReactorTime clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        if (clock is MemoryReactor reactor)
        {
            Watch(reactor);
        }
        else if (!_clocks.Contains(clock))
        {
            _clocks.Add(clock);
        }
    }

    /// <summary>
    /// Checks at the end that <paramref name="reactor"/> has no delayed call pending, no port listening and no connection
    /// open (made through its ports and connectors, and neither closed nor aborted).
    /// </summary>
    public void Watch(MemoryReactor reactor)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        if (!_reactors.Contains(reactor))
        {
            _reactors.Add(reactor);
        }
    }

    /// <summary>Adds failures caught elsewhere (on a reactor thread) to those the test must flush or fail with.</summary>
    public void AddUnhandled(IEnumerable<UnhandledErrorReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        lock (_unhandled)
        {
            _unhandled.AddRange(reports);
        }
    }

    /// <summary>Adds a problem found elsewhere (a real reactor left dirty); <see cref="Verify"/> fails with it.</summary>
    public void AddProblem(string problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        lock (_problems)
        {
            _problems.Add(problem);
        }
    }

    private void AddLoggedError(LoggedError error)
    {
        lock (_logged)
        {
            _logged.Add(error);
        }
    }

    /// <summary>
    /// Takes the unhandled failures and the logged errors so far whose exception is of one of <paramref name="types"/>
    /// (of any type when none is given) and returns them: the test expected them, so they no longer fail it (Twisted's
    /// <c>flushLoggedErrors</c>). Inside a test running on a real reactor (<see cref="ReactorTestRunner.CurrentReactor"/>),
    /// the failures that reactor's tracker caught so far are included.
    /// </summary>
    public IReadOnlyList<Failure> FlushLoggedErrors(params Type[] types)
    {
        ArgumentNullException.ThrowIfNull(types);
        var taken = new List<Failure>();
        lock (_unhandled)
        {
            _unhandled.AddRange(Tracker.TakePending());
            if (ReactorTestRunner.CurrentReactor is { } reactor)
            {
                // Code on the reactor thread reports to the reactor's tracker, not to the test's.
                _unhandled.AddRange(reactor.UnhandledFailures.TakePending());
            }
            var flushed = _unhandled.Where(r => types.Length == 0 || r.Failure.Check(types) is not null).ToList();
            _unhandled.RemoveAll(flushed.Contains);
            taken.AddRange(flushed.Select(r => r.Failure));
        }
        lock (_logged)
        {
            var flushed = _logged.Select(e => (Error: e, Failure: new Failure(e.Exception)))
                .Where(e => types.Length == 0 || e.Failure.Check(types) is not null).ToList();
            _logged.RemoveAll(e => flushed.Exists(f => ReferenceEquals(f.Error, e)));
            taken.AddRange(flushed.Select(f => f.Failure));
        }
        return taken;
    }

    /// <summary>
    /// Everything the test left behind, one entry per problem: unhandled failures (with their traceback, and creation
    /// stacks in debug mode), errors logged with an exception, pending delayed calls, listening ports, open connections,
    /// and problems added with <see cref="AddProblem"/>. Pending delayed calls are cancelled, so that a shared clock starts the next test clean.
    /// </summary>
    public IReadOnlyList<string> FindProblems()
    {
        var found = new List<string>();
        lock (_unhandled)
        {
            _unhandled.AddRange(Tracker.TakePending());
            foreach (var report in _unhandled)
            {
                found.Add($"Unhandled error in Deferred: {report.Failure.GetTraceback()}{report.DebugText}");
            }
            _unhandled.Clear();
        }
        lock (_logged)
        {
            foreach (var error in _logged)
            {
                found.Add($"Logged error ({error.Category}): {error.Message}{Environment.NewLine}{error.Exception}");
            }
            _logged.Clear();
        }
        foreach (var clock in _clocks.Concat(_reactors.Cast<IReactorTime>()))
        {
            foreach (var call in clock.GetDelayedCalls())
            {
                found.Add($"Pending delayed call on {Describe(clock)}: {call} (due at {call.DueTime})");
                if (call.Active)
                {
                    call.Cancel();
                }
            }
        }
        foreach (var reactor in _reactors)
        {
            foreach (var port in reactor.GetListeningPorts())
            {
                found.Add($"Port left listening: {port}");
            }
            foreach (var connection in reactor.GetOpenConnections())
            {
                found.Add($"Connection left open: {Describe(connection)}");
            }
        }
        lock (_problems)
        {
            found.AddRange(_problems);
            _problems.Clear();
        }
        return found;
    }

    /// <summary>Fails when the test left anything behind (see <see cref="FindProblems"/>).</summary>
    /// <exception cref="AsyncCoreAssertionException">Lists every problem found.</exception>
    public void Verify()
    {
        var problems = FindProblems();
        if (problems.Count == 0)
        {
            return;
        }
        var message = new StringBuilder();
        message.Append("Test ").Append(Name).Append(" left ").Append(problems.Count).Append(" problem(s) behind (a dirty reactor):");
        for (var i = 0; i < problems.Count; i++)
        {
            message.AppendLine().Append(i + 1).Append(". ").Append(problems[i]);
        }
        throw new AsyncCoreAssertionException(message.ToString());
    }

    /// <summary>Removes <see cref="Tracker"/> from the async flow (failures it still holds stay in it, unreported).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (ReferenceEquals(TrackerFlow.Current, Tracker))
        {
            TrackerFlow.Set(_previous);
        }
    }

    internal static string Describe(ITransport transport) =>
        $"{transport.GetType().Name} {transport.GetHost()} -> {transport.GetPeer()}";

    private static string Describe(IReactorTime clock) => clock switch
    {
        MemoryReactor => "the MemoryReactor",
        Tasks.Clock => "the Clock",
        _ => clock.GetType().Name,
    };
}
