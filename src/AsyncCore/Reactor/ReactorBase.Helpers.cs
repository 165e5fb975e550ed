namespace AsyncCore.Reactor;

// The Deferred helpers of twisted.internet.task and twisted.internet.threads as instance members. They forward to the
// extension methods (ReactorTimeExtensions, ReactorThreadsExtensions), which serve any IReactorTime/IReactorThreads;
// as members they are found on a concrete reactor whatever the caller's usings: a program that creates an
// EventLoopReactor with only `using AsyncCore.Reactors;` can call reactor.DeferToThread(...) without a "does not
// contain a definition" surprise.
public abstract partial class ReactorBase
{
    /// <inheritdoc cref="ReactorTimeExtensions.DeferLater{T}(IReactorTime, TimeSpan, Func{T})"/>
    public Deferred<T> DeferLater<T>(TimeSpan delay, Func<T> function) => ReactorTimeExtensions.DeferLater(this, delay, function);

    /// <inheritdoc cref="ReactorTimeExtensions.DeferLater{T}(IReactorTime, TimeSpan, Func{Deferred{T}})"/>
    public Deferred<T> DeferLater<T>(TimeSpan delay, Func<Deferred<T>> function) => ReactorTimeExtensions.DeferLater(this, delay, function);

    /// <inheritdoc cref="ReactorTimeExtensions.DeferLater(IReactorTime, TimeSpan)"/>
    public Deferred<object?> DeferLater(TimeSpan delay) => ReactorTimeExtensions.DeferLater(this, delay);

    /// <inheritdoc cref="ReactorThreadsExtensions.DeferToThread{T}(IReactorThreads, Func{T})"/>
    public Deferred<T> DeferToThread<T>(Func<T> function) => ReactorThreadsExtensions.DeferToThread(this, function);

    /// <inheritdoc cref="ReactorThreadsExtensions.DeferToThread{T}(IReactorThreads, Func{CancellationToken, T})"/>
    public Deferred<T> DeferToThread<T>(Func<CancellationToken, T> function) => ReactorThreadsExtensions.DeferToThread(this, function);

    /// <inheritdoc cref="ReactorThreadsExtensions.DeferToThreadPool{T}(IReactorThreads, ReactorThreadPool, Func{T})"/>
    public Deferred<T> DeferToThreadPool<T>(ReactorThreadPool pool, Func<T> function) => ReactorThreadsExtensions.DeferToThreadPool(this, pool, function);

    /// <inheritdoc cref="ReactorThreadsExtensions.CallMultipleInThread(IReactorThreads, IEnumerable{Action})"/>
    public void CallMultipleInThread(IEnumerable<Action> calls) => ReactorThreadsExtensions.CallMultipleInThread(this, calls);

    /// <inheritdoc cref="ReactorThreadsExtensions.CallFromThreadAsync{T}(IReactorThreads, Func{Deferred{T}}, CancellationToken)"/>
    public Task<T> CallFromThreadAsync<T>(Func<Deferred<T>> function, CancellationToken cancellationToken) =>
        ReactorThreadsExtensions.CallFromThreadAsync(this, function, cancellationToken);

    /// <inheritdoc cref="ReactorThreadsExtensions.CallFromThreadAsync{T}(IReactorThreads, Func{Deferred{T}})"/>
    public Task<T> CallFromThreadAsync<T>(Func<Deferred<T>> function) => ReactorThreadsExtensions.CallFromThreadAsync(this, function);

    /// <inheritdoc cref="ReactorThreadsExtensions.CallFromThreadAsync{T}(IReactorThreads, Func{T}, CancellationToken)"/>
    public Task<T> CallFromThreadAsync<T>(Func<T> function, CancellationToken cancellationToken) =>
        ReactorThreadsExtensions.CallFromThreadAsync(this, function, cancellationToken);

    /// <inheritdoc cref="ReactorThreadsExtensions.CallFromThreadAsync{T}(IReactorThreads, Func{T})"/>
    public Task<T> CallFromThreadAsync<T>(Func<T> function) => ReactorThreadsExtensions.CallFromThreadAsync(this, function);

    /// <inheritdoc cref="ReactorThreadsExtensions.BlockingCallFromThread{T}(IReactorThreads, Func{Deferred{T}})"/>
    public T BlockingCallFromThread<T>(Func<Deferred<T>> function) => ReactorThreadsExtensions.BlockingCallFromThread(this, function);

    /// <inheritdoc cref="ReactorThreadsExtensions.BlockingCallFromThread{T}(IReactorThreads, Func{T})"/>
    public T BlockingCallFromThread<T>(Func<T> function) => ReactorThreadsExtensions.BlockingCallFromThread(this, function);
}
