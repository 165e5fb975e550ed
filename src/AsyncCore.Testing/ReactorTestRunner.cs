using System.Text;
using AsyncCore.Reactor;
using AsyncCore.Reactors;

namespace AsyncCore.Testing;

/// <summary>
/// Runs a test's Deferred on a real reactor, on a reactor thread of its own, with a timeout, and checks that the reactor
/// is clean when the Deferred has fired: the framework-independent part of <see cref="ReactorTestBase.RunOnReactor{T}"/>.
/// </summary>
public static class ReactorTestRunner
{
    /// <summary>The timeout of a test that does not set one: two minutes, as trial's.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    /// <summary>How long the reactor may take to answer the end-of-test inspection, and to shut down.</summary>
    private static readonly TimeSpan ShutdownPatience = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Starts a new <see cref="EventLoopReactor"/> on a thread of its own, calls <paramref name="test"/> on it, and waits
    /// for the returned Deferred. Then, one reactor iteration later, lists on <paramref name="janitor"/> what the test
    /// left behind on the reactor (delayed calls, listening ports, open connections, busy pool threads, unhandled
    /// failures), and stops the reactor.
    /// </summary>
    /// <param name="test">The test's body, run on the reactor thread; it may be an <c>async Deferred&lt;T&gt;</c> lambda.</param>
    /// <param name="janitor">Collects the problems; <see cref="TestJanitor.Verify"/> reports them.</param>
    /// <param name="timeout">How long the Deferred may take (<see cref="DefaultTimeout"/> when null).</param>
    /// <param name="debug">Record Deferreds' creation stacks on the reactor thread (<see cref="ReactorOptions.DebugDeferreds"/>).</param>
    /// <param name="cancellationToken">Aborts the wait (the test run is being cancelled).</param>
    /// <returns>The Deferred's value.</returns>
    /// <exception cref="AsyncCoreAssertionException">The Deferred did not fire in time; the message lists what was still pending.</exception>
    public static async Task<T> RunAsync<T>(Func<EventLoopReactor, Deferred<T>> test, TestJanitor janitor, TimeSpan? timeout = null, bool debug = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(janitor);
        var limit = timeout ?? DefaultTimeout;
        var reactor = new EventLoopReactor(new ReactorOptions
        {
            Name = "test-reactor",
            DebugDeferreds = debug,
            // No idle pool threads: a pool thread alive at the end is one the test kept busy.
            MinThreads = 0,
        });
        ReactorThread thread;
        // The reactor thread must not inherit the test's execution context (and so its unhandled-failure tracker): the
        // reactor's own tracker covers that thread.
        using (ExecutionContext.SuppressFlow())
        {
            thread = reactor.RunInBackground();
        }
        try
        {
            Deferred<T>? running = null;
            var result = reactor.CallFromThreadAsync(() => running = test(reactor), CancellationToken.None);
            try
            {
                await result.WaitAsync(limit, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                var pending = await DescribeAsync(reactor, () => running, cancel: true).ConfigureAwait(false);
                throw new AsyncCoreAssertionException(
                    $"Test {janitor.Name} timed out after {limit}: its Deferred never fired. Still pending:{Environment.NewLine}{pending}");
            }
            finally
            {
                // One more iteration lets closes and calls the test started finish before the reactor is inspected.
                var inspected = reactor.CallFromThreadAsync(() => Deferred.Succeed(Inspect(reactor)), CancellationToken.None);
                if (await Task.WhenAny(inspected, Task.Delay(ShutdownPatience, CancellationToken.None)).ConfigureAwait(false) == inspected)
                {
                    var leftBehind = await inspected.ConfigureAwait(false);
                    foreach (var problem in leftBehind.Problems)
                    {
                        janitor.AddProblem(problem);
                    }
                    janitor.AddUnhandled(leftBehind.Unhandled);
                }
                else
                {
                    janitor.AddProblem($"The reactor thread is blocked: it did not answer within {ShutdownPatience}");
                }
            }
            return await result.ConfigureAwait(false);
        }
        finally
        {
            // Shutdown waits for the pool's threads; a thread the test left blocked must not hang the test run.
            thread.Stop();
            if (await Task.WhenAny(thread.Completion, Task.Delay(ShutdownPatience, CancellationToken.None)).ConfigureAwait(false) == thread.Completion)
            {
                reactor.Dispose();
            }
            else
            {
                janitor.AddProblem($"The reactor did not shut down within {ShutdownPatience}: a pool thread or a shutdown trigger is still blocked");
            }
        }
    }

    private static async Task<string> DescribeAsync<T>(EventLoopReactor reactor, Func<Deferred<T>?> running, bool cancel)
    {
        var described = reactor.CallFromThreadAsync(() =>
        {
            var text = new StringBuilder();
            text.Append("- the test's Deferred: ").Append(running()?.ToString() ?? "(the test function has not returned)");
            foreach (var problem in Inspect(reactor, take: false).Problems)
            {
                text.AppendLine().Append("- ").Append(problem);
            }
            if (cancel)
            {
                running()?.Cancel();
                running()?.ConsumeFailure();
            }
            return text.ToString();
        });
        try
        {
            return await described.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return "- the reactor thread is blocked: it did not answer within 5 seconds";
        }
    }

    private static (List<string> Problems, IReadOnlyList<UnhandledErrorReport> Unhandled) Inspect(EventLoopReactor reactor, bool take = true)
    {
        var problems = new List<string>();
        foreach (var call in reactor.GetDelayedCalls())
        {
            problems.Add($"Pending delayed call on the reactor: {call} (due in {call.DueTime - reactor.Now})");
        }
        foreach (var port in reactor.GetListeningPorts())
        {
            problems.Add($"Port left listening: {port.GetType().Name} {port.GetHost()}");
        }
        foreach (var connection in reactor.GetConnections())
        {
            problems.Add($"Connection left open: {TestJanitor.Describe(connection)}");
        }
        var pool = reactor.GetThreadPool();
        if (pool.Working > 0 || pool.QueueLength > 0)
        {
            problems.Add($"Reactor thread pool still busy: {pool.Working} working, {pool.QueueLength} queued");
        }
        return (problems, take ? reactor.UnhandledFailures.TakePending() : []);
    }
}
