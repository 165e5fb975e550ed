using System.Reflection;
using System.Text;
using AsyncCore.Reactor;
using AsyncCore.Reactors;

namespace AsyncCore.Testing;

/// <summary>
/// Runs a test's Deferred on a real reactor, on a reactor thread of its own, with a timeout, and checks that the reactor
/// is clean when the Deferred has fired: the framework-independent part of the xunit adapters' <c>ReactorTestBase.RunOnReactor</c>
/// and <c>[DeferredFact]</c>.
/// </summary>
public static class ReactorTestRunner
{
    /// <summary>The timeout of a test that does not set one: two minutes, as trial's.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    /// <summary>How long the reactor may take to answer the end-of-test inspection, and to shut down.</summary>
    private static readonly TimeSpan ShutdownPatience = TimeSpan.FromSeconds(10);

    /// <summary>How long a reactor thread pool worker may take to finish once the test is over (see BusyThreadPoolAsync).</summary>
    private static readonly TimeSpan PoolSettlePatience = TimeSpan.FromSeconds(1);

    private static readonly MethodInfo RunDeferredMethod =
        typeof(ReactorTestRunner).GetMethod(nameof(RunDeferredMethodAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    // Set on the reactor thread just before the test runs: the test's code and every async flow it starts there see it.
    private static readonly AsyncLocal<EventLoopReactor?> s_current = new();

    /// <summary>
    /// The reactor of the test running on the current async flow (a test run by <see cref="RunAsync{T}"/> or
    /// <see cref="RunTestMethodAsync"/>, which is what <c>[DeferredFact]</c> uses), or null outside one. A test method
    /// that takes no parameter reads its reactor here.
    /// </summary>
    public static EventLoopReactor? CurrentReactor => s_current.Value;

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
            // What the reactor and the code on its thread log reaches the janitor: a logged error fails the test.
            LoggerFactory = janitor.LoggerFactory,
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
            var result = reactor.CallFromThreadAsync(() =>
            {
                s_current.Value = reactor;
                return running = test(reactor);
            }, CancellationToken.None);
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
                    if (await BusyThreadPoolAsync(reactor.GetThreadPool()).ConfigureAwait(false) is { } busy)
                    {
                        janitor.AddProblem(busy);
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

    /// <summary>
    /// Runs a test method found by reflection the way <see cref="RunAsync{T}"/> runs a lambda: on a new real reactor's
    /// thread, waiting at most <paramref name="timeout"/> for what it returns. This is how the xunit adapters'
    /// <c>[DeferredFact]</c> runs a method; another test framework's extension can call it the same way.
    /// </summary>
    /// <remarks>
    /// The method may return a <see cref="Deferred{T}"/> (an <c>async Deferred</c> method is one), a
    /// <see cref="Task"/> or <see cref="ValueTask"/> (awaited on the reactor thread), or nothing. It reads its reactor
    /// from <see cref="CurrentReactor"/>. An exception it throws, or the failure of what it returns, is thrown from the
    /// returned Task unchanged (its stack trace is the failure's traceback).
    /// </remarks>
    /// <param name="method">The test method.</param>
    /// <param name="instance">The test class instance (null for a static method).</param>
    /// <param name="arguments">The method's arguments (none when null).</param>
    /// <param name="janitor">Collects what the test leaves on the reactor; the caller calls <see cref="TestJanitor.Verify"/>.</param>
    /// <param name="timeout">How long the method's result may take (<see cref="DefaultTimeout"/> when null).</param>
    /// <param name="debug">Record Deferreds' creation stacks on the reactor thread.</param>
    /// <param name="cancellationToken">Aborts the wait (the test run is being cancelled).</param>
    /// <exception cref="AsyncCoreAssertionException">The result did not come in time; the message lists what was still pending.</exception>
    public static Task RunTestMethodAsync(MethodInfo method, object? instance, object?[]? arguments, TestJanitor janitor, TimeSpan? timeout = null, bool debug = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(janitor);
        var valueType = DeferredValueType(method.ReturnType);
        if (valueType is not null)
        {
            return (Task)RunDeferredMethod.MakeGenericMethod(valueType).Invoke(null, [method, instance, arguments, janitor, timeout, debug, cancellationToken])!;
        }
        return RunAsync(_ => Invoke(method, instance, arguments) switch
        {
            Task task => Deferred.FromTask(AsObject(task)),
            ValueTask valueTask => Deferred.FromTask(AsObject(valueTask.AsTask())),
            _ => Deferred.Succeed<object?>(null),
        }, janitor, timeout, debug, cancellationToken);
    }

    /// <summary>
    /// Runs one test method on a real reactor (see <see cref="RunTestMethodAsync"/>) and checks the test: the entry point
    /// of a test framework's extension such as <c>[DeferredFact]</c>. When <paramref name="instance"/> is an
    /// <see cref="IReactorTest"/>, its janitor collects the problems and the class verifies them when the test ends;
    /// otherwise a janitor of the test's own does, and this method fails when the test leaves anything behind.
    /// </summary>
    /// <param name="method">The test method.</param>
    /// <param name="instance">The test class instance (null for a static method).</param>
    /// <param name="arguments">The method's arguments (none when null).</param>
    /// <param name="testName">The test's name, for the reports.</param>
    /// <param name="timeout">The test's timeout; when null, the class's <see cref="IReactorTest.Timeout"/> or <see cref="DefaultTimeout"/>.</param>
    /// <param name="cancellationToken">Aborts the wait (the test run is being cancelled).</param>
    /// <exception cref="AsyncCoreAssertionException">The test timed out, or left the reactor dirty.</exception>
    public static async Task RunTestAsync(MethodInfo method, object? instance, object?[]? arguments, string testName, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(testName);
        if (instance is IReactorTest owner)
        {
            await RunTestMethodAsync(method, instance, arguments, owner.Janitor, timeout ?? owner.Timeout, owner.DebugDeferreds, cancellationToken).ConfigureAwait(false);
            return;
        }
        using var janitor = new TestJanitor(testName);
        await RunTestMethodAsync(method, instance, arguments, janitor, timeout, debug: false, cancellationToken).ConfigureAwait(false);
        janitor.Verify();
    }

    private static Task<T> RunDeferredMethodAsync<T>(MethodInfo method, object? instance, object?[]? arguments, TestJanitor janitor, TimeSpan? timeout, bool debug, CancellationToken cancellationToken) =>
        RunAsync(_ => (Deferred<T>)Invoke(method, instance, arguments)!, janitor, timeout, debug, cancellationToken);

    private static object? Invoke(MethodInfo method, object? instance, object?[]? arguments) =>
        // Without the TargetInvocationException wrapper: the test reports the exception its method threw.
        method.Invoke(instance, BindingFlags.DoNotWrapExceptions, binder: null, arguments ?? [], culture: null);

    private static async Task<object?> AsObject(Task task)
    {
        // On the reactor thread: the test's own awaits resume there through the reactor's synchronization context.
        await task;
        return null;
    }

    private static Type? DeferredValueType(Type returnType)
    {
        for (var type = returnType; type is not null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Deferred<>))
            {
                return type.GetGenericArguments()[0];
            }
        }
        return null;
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
            if (Busy(reactor.GetThreadPool()) is { } busy)
            {
                text.AppendLine().Append("- ").Append(busy);
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

    /// <summary>
    /// The reactor thread pool's work still running or queued once the test is over, after
    /// <see cref="PoolSettlePatience"/>; null when the pool is idle. A worker that handed its result to the reactor
    /// (<c>DeferToThread</c>'s last step) counts as working until that call returns, which on a loaded machine can be
    /// after the reactor fired the result and the test ended: it is given that moment, a worker that is really busy is not
    /// done by then.
    /// </summary>
    private static async Task<string?> BusyThreadPoolAsync(ReactorThreadPool pool)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (Busy(pool) is { } busy)
        {
            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) >= PoolSettlePatience)
            {
                return busy;
            }
            await Task.Delay(1).ConfigureAwait(false);
        }
        return null;
    }

    /// <summary>The pool's work running or queued right now, as a janitor problem; null when it is idle.</summary>
    private static string? Busy(ReactorThreadPool pool) =>
        pool.Working > 0 || pool.QueueLength > 0
            ? $"Reactor thread pool still busy: {pool.Working} working, {pool.QueueLength} queued"
            : null;

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
        return (problems, take ? reactor.UnhandledFailures.TakePending() : []);
    }
}
