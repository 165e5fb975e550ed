namespace AsyncCore.Reactor;

/// <summary>
/// Moving work between the reactor thread and worker threads (Twisted's <c>twisted.internet.threads</c>):
/// <c>reactor.DeferToThread(...)</c>, <c>DeferToThreadPool</c>, <c>CallMultipleInThread</c> and
/// <c>BlockingCallFromThread</c>.
/// </summary>
public static class ReactorThreadsExtensions
{
    /// <summary>
    /// Runs <paramref name="function"/> on the reactor's thread pool; the returned Deferred fires with its value or
    /// failure on the reactor thread. Cancelling the Deferred fails it at once with <see cref="CancelledException"/>;
    /// the work is not interrupted and its late result is dropped.
    /// </summary>
    public static Deferred<T> DeferToThread<T>(this IReactorThreads reactor, Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        ArgumentNullException.ThrowIfNull(function);
        var deferred = new Deferred<T>();
        reactor.CallInThread(() => RunAndReport(reactor, deferred, function));
        return deferred;
    }

    /// <summary>
    /// Like <see cref="DeferToThread{T}(IReactorThreads, Func{T})"/>, for work that can stop early: cancelling the
    /// Deferred removes the work if it has not started and signals <paramref name="function"/>'s token if it has.
    /// </summary>
    public static Deferred<T> DeferToThread<T>(this IReactorThreads reactor, Func<CancellationToken, T> function)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        ArgumentNullException.ThrowIfNull(function);
        var source = new CancellationTokenSource();
        var deferred = new Deferred<T>(_ => source.Cancel());
        var token = source.Token;
        reactor.CallInThread(() =>
        {
            if (token.IsCancellationRequested)
            {
                return;
            }
            RunAndReport(reactor, deferred, () => function(token));
        });
        return deferred;
    }

    /// <summary>Runs <paramref name="function"/> on <paramref name="pool"/>; the Deferred fires on the reactor thread.</summary>
    public static Deferred<T> DeferToThreadPool<T>(this IReactorThreads reactor, ReactorThreadPool pool, Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(function);
        var deferred = new Deferred<T>();
        pool.CallInThread(() => RunAndReport(reactor, deferred, function));
        return deferred;
    }

    /// <summary>Runs <paramref name="calls"/> one after another on a single pool thread; an exception ends the run and is logged.</summary>
    public static void CallMultipleInThread(this IReactorThreads reactor, IEnumerable<Action> calls)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        ArgumentNullException.ThrowIfNull(calls);
        var list = calls.ToArray();
        reactor.CallInThread(() =>
        {
            foreach (var call in list)
            {
                call();
            }
        });
    }

    /// <summary>
    /// From a worker thread: runs <paramref name="function"/> on the reactor thread, waits for the Deferred it returns,
    /// and returns its value or throws its failure's exception in the calling thread. An async lambda binds here and
    /// runs as an <c>async Deferred&lt;T&gt;</c> method on the reactor thread. The function runs with the calling
    /// thread's <see cref="ExecutionContext"/> (as with <c>Task.Run</c>: <c>AsyncLocal</c> values flow).
    /// </summary>
    /// <exception cref="InvalidOperationException">Called on the reactor thread (it would wait for itself for ever).</exception>
    /// <exception cref="ReactorNotRunningException">The reactor shut down before running the call.</exception>
    public static T BlockingCallFromThread<T>(this IReactorThreads reactor, Func<Deferred<T>> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return BlockingCall(reactor, () => Deferred.MaybeDeferred(function));
    }

    /// <summary>From a worker thread: runs <paramref name="function"/> on the reactor thread and returns its value or throws.</summary>
    /// <inheritdoc cref="BlockingCallFromThread{T}(IReactorThreads, Func{Deferred{T}})" path="/exception"/>
    public static T BlockingCallFromThread<T>(this IReactorThreads reactor, Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return BlockingCall(reactor, () => Deferred.MaybeDeferred(function));
    }

    /// <summary>
    /// From any thread, without blocking: runs <paramref name="function"/> on the reactor thread and returns a
    /// <see cref="Task{TResult}"/> of the outcome of the Deferred it returns. This is how code that is not on the
    /// reactor thread (thread-pool code, a UI handler, an ASP.NET request) waits for reactor work: a Deferred belongs to
    /// its reactor thread and must not be awaited elsewhere, while the Task resumes the awaiting code the way any Task
    /// does (on the thread pool or its own SynchronizationContext), never on the reactor thread.
    /// </summary>
    /// <param name="reactor">The reactor.</param>
    /// <param name="function">Runs on the reactor thread; may be an async lambda (an <c>async Deferred&lt;T&gt;</c>).</param>
    /// <param name="cancellationToken">Cancels the Deferred, on the reactor thread; the Task is then canceled.</param>
    /// <returns>
    /// A Task faulted with the failure's exception, canceled when the Deferred failed with an
    /// <see cref="OperationCanceledException"/>, or faulted with <see cref="ReactorNotRunningException"/> when the reactor
    /// shut down before running the call.
    /// </returns>
    public static Task<T> CallFromThreadAsync<T>(this IReactorThreads reactor, Func<Deferred<T>> function, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        ArgumentNullException.ThrowIfNull(function);
        return new CrossThreadCall<T>(reactor, function, function, cancellationToken).Post();
    }

    /// <inheritdoc cref="CallFromThreadAsync{T}(IReactorThreads, Func{Deferred{T}}, CancellationToken)"/>
    public static Task<T> CallFromThreadAsync<T>(this IReactorThreads reactor, Func<Deferred<T>> function) =>
        reactor.CallFromThreadAsync(function, CancellationToken.None);

    /// <summary>From any thread: runs <paramref name="function"/> on the reactor thread; a Task of its value.</summary>
    /// <remarks>A token cancelled before the call runs cancels the Task.</remarks>
    /// <inheritdoc cref="CallFromThreadAsync{T}(IReactorThreads, Func{Deferred{T}}, CancellationToken)" path="/returns"/>
    public static Task<T> CallFromThreadAsync<T>(this IReactorThreads reactor, Func<T> function, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        ArgumentNullException.ThrowIfNull(function);
        return new CrossThreadCall<T>(reactor, () => Deferred.MaybeDeferred(function), function, cancellationToken).Post();
    }

    /// <inheritdoc cref="CallFromThreadAsync{T}(IReactorThreads, Func{T}, CancellationToken)"/>
    public static Task<T> CallFromThreadAsync<T>(this IReactorThreads reactor, Func<T> function) =>
        reactor.CallFromThreadAsync(function, CancellationToken.None);

    private static T BlockingCall<T>(IReactorThreads reactor, Func<Deferred<T>> start)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        if (reactor.IsReactorThread)
        {
            throw new InvalidOperationException("BlockingCallFromThread was called on the reactor thread; it would wait for itself for ever.");
        }
        // Not disposed: if the reactor shuts down while we wait, the queued call may still set it later.
        var done = new ManualResetEventSlim();
        var outcome = default(Outcome<T>);
        // The function runs with the calling thread's execution context, as Task.Run does: AsyncLocal values flow, and
        // a connection pool recognises a call made by one of its own interactions (which could deadlock).
        var context = ExecutionContext.Capture();
        void Run() => start().AddBoth(result =>
        {
            outcome = result;
            done.Set();
            return 0;
        });
        reactor.CallFromThread(() =>
        {
            if (context is null)
            {
                Run();
            }
            else
            {
                ExecutionContext.Run(context, static state => ((Action)state!)(), (Action)Run);
            }
        });
        try
        {
            done.Wait(reactor is ReactorBase core ? core.ThreadCallsAbandoned : CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            // Wait checks the token before the event: the call may have completed just before the shutdown.
            if (!done.IsSet)
            {
                throw new ReactorNotRunningException("The reactor shut down before running the blocking call.");
            }
        }
        return outcome.GetValueOrThrow();
    }

    private static void RunAndReport<T>(IReactorThreads reactor, Deferred<T> deferred, Func<T> function)
    {
        T value;
        try
        {
            value = function();
        }
        catch (Exception ex)
        {
            var failure = new Failure(ex);
            reactor.CallFromThread(() =>
            {
                if (!deferred.Called)
                {
                    deferred.Errback(failure);
                }
            });
            return;
        }
        reactor.CallFromThread(() =>
        {
            if (!deferred.Called)
            {
                deferred.Callback(value);
            }
        });
    }
}
