using AsyncCore.Reactors;
using AsyncCore.Tasks;

namespace AsyncCore.Testing;

/// <summary>
/// What the xunit adapters' <c>ReactorTestBase</c> classes share, independent of the test framework (Twisted trial's
/// <c>TestCase</c>): the test's <see cref="TestJanitor"/>, the fakes it watches, the real reactor of the running test and
/// <see cref="RunOnReactor{T}"/>. Derive from the adapter's <c>ReactorTestBase</c>, which also runs the end-of-test
/// check (<see cref="VerifyAndDispose"/>) when the framework disposes the test.
/// </summary>
public abstract class ReactorTestCase : IReactorTest
{
    private Clock? _clock;
    private MemoryReactorClock? _memoryReactor;

    /// <summary>Starts the test's janitor.</summary>
    /// <param name="testName">The name reports give the test; null names the test class.</param>
    /// <param name="debugDeferreds">Record Deferreds' creation stacks, shown in the reports (costly).</param>
    protected ReactorTestCase(string? testName, bool debugDeferreds)
    {
        DebugDeferreds = debugDeferreds;
        Janitor = new TestJanitor(testName ?? GetType().FullName ?? GetType().Name, debugDeferreds);
    }

    /// <summary>The test's janitor: watch more clocks or reactors with it.</summary>
    protected TestJanitor Janitor { get; }

    /// <summary>A <see cref="Tasks.Clock"/> for the test, created on first use; it must have no pending call at the end.</summary>
    protected Clock Clock
    {
        get
        {
            if (_clock is null)
            {
                _clock = new Clock();
                Janitor.Watch(_clock);
            }
            return _clock;
        }
    }

    /// <summary>
    /// A <see cref="MemoryReactorClock"/> for the test, created on first use; at the end it must have no pending call, no
    /// port listening and no connection open.
    /// </summary>
    protected MemoryReactorClock MemoryReactor
    {
        get
        {
            if (_memoryReactor is null)
            {
                _memoryReactor = new MemoryReactorClock();
                Janitor.Watch(_memoryReactor);
            }
            return _memoryReactor;
        }
    }

    /// <summary>Whether Deferreds' creation stacks are recorded, as given to the constructor.</summary>
    protected bool DebugDeferreds { get; }

    /// <summary>
    /// The real reactor of the running <c>[DeferredFact]</c> test (or <see cref="RunOnReactor{T}"/> body);
    /// the test runs on its thread.
    /// </summary>
    /// <exception cref="InvalidOperationException">Read outside such a test.</exception>
    protected EventLoopReactor Reactor => ReactorTestRunner.CurrentReactor
        ?? throw new InvalidOperationException("Reactor is only set inside a [DeferredFact] test or a RunOnReactor body.");

    TestJanitor IReactorTest.Janitor => Janitor;

    TimeSpan IReactorTest.Timeout => Timeout;

    bool IReactorTest.DebugDeferreds => DebugDeferreds;

    /// <summary>
    /// The timeout of <see cref="RunOnReactor{T}"/> and of a <c>[DeferredFact]</c> test that sets none
    /// (<see cref="ReactorTestRunner.DefaultTimeout"/> by default).
    /// </summary>
    protected virtual TimeSpan Timeout => ReactorTestRunner.DefaultTimeout;

    /// <summary>
    /// Takes the unhandled failures so far of the given types (any type when none is given): the test expected them
    /// (Twisted's <c>flushLoggedErrors</c>). Returns them, to be checked.
    /// </summary>
    protected IReadOnlyList<Failure> FlushLoggedErrors(params Type[] types) => Janitor.FlushLoggedErrors(types);

    /// <summary>
    /// Runs <paramref name="test"/> on a new real reactor, on its own thread, and waits for its Deferred (at most
    /// <see cref="Timeout"/>; the failure then lists what was still pending). What the test leaves on that reactor fails
    /// the test at its end. Write the test as <c>public Task Name() =&gt; RunOnReactor(async reactor =&gt; { ... });</c>.
    /// </summary>
    protected Task<T> RunOnReactor<T>(Func<EventLoopReactor, Deferred<T>> test) =>
        ReactorTestRunner.RunAsync(test, Janitor, Timeout, DebugDeferreds, TestCancellation);

    /// <summary>Cancelled when the test run is cancelled (the adapters pass on their framework's token).</summary>
    protected virtual CancellationToken TestCancellation => CancellationToken.None;

    /// <summary>
    /// On the reactor thread, waits until every connection <paramref name="reactor"/> holds has closed. A peer that
    /// closed its end (an <c>HttpClient</c> disposed, an SMTP client after QUIT) is seen by the reactor one read later; a
    /// test over real sockets awaits this before it ends, so that the end-of-test check does not find that connection
    /// still open. A connection that never closes makes the test run into its timeout, which lists it.
    /// </summary>
    protected static async Deferred<bool> WhenConnectionsClosed(AsyncCore.Transports.NetworkReactorBase reactor)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        while (reactor.GetConnections().Count > 0)
        {
            await reactor.DeferLater(TimeSpan.FromMilliseconds(5));
        }
        return true;
    }

    /// <summary>Checks what the test left behind and fails the test with the list (<see cref="TestJanitor.Verify"/>).</summary>
    protected void VerifyAndDispose()
    {
        try
        {
            Janitor.Verify();
        }
        finally
        {
            Janitor.Dispose();
        }
    }
}
