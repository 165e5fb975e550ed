namespace AsyncCore.Reactor;

/// <summary>
/// One <see cref="ReactorThreadsExtensions.CallFromThreadAsync{T}(IReactorThreads, Func{Deferred{T}}, CancellationToken)"/>:
/// queued from any thread, it runs the function on the reactor thread and completes a Task with the Deferred's outcome.
/// </summary>
internal sealed class CrossThreadCall<T> : ICallableWrapper
{
    private readonly IReactorThreads _reactor;
    private readonly Func<Deferred<T>> _function;
    private readonly CancellationToken _cancellationToken;
    private readonly TaskCompletionSource<T> _source = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenRegistration _onShutdown;

    /// <param name="reactor">The reactor.</param>
    /// <param name="function">Runs on the reactor thread.</param>
    /// <param name="wrapped">The caller's delegate, for stall reports and logs (<paramref name="function"/> may wrap it).</param>
    /// <param name="cancellationToken">Cancels the Deferred, on the reactor thread.</param>
    public CrossThreadCall(IReactorThreads reactor, Func<Deferred<T>> function, Delegate wrapped, CancellationToken cancellationToken)
    {
        _reactor = reactor;
        _function = function;
        Wrapped = wrapped;
        _cancellationToken = cancellationToken;
        var abandoned = (reactor as ReactorBase)?.ThreadCallsAbandoned ?? CancellationToken.None;
        _onShutdown = abandoned.Register(static state => ((TaskCompletionSource<T>)state!).TrySetException(
            new ReactorNotRunningException("The reactor shut down before completing the call.")), _source);
    }

    public Delegate Wrapped { get; }

    /// <summary>Queues the call on the reactor; its Task.</summary>
    public Task<T> Post()
    {
        _reactor.CallFromThread(Run);
        return _source.Task;
    }

    private void Run()
    {
        if (_cancellationToken.IsCancellationRequested)
        {
            _onShutdown.Dispose();
            _source.TrySetCanceled(_cancellationToken);
            return;
        }
        var deferred = Deferred.MaybeDeferred(_function);
        var reactor = _reactor;
        var onCancel = _cancellationToken.CanBeCanceled
            ? _cancellationToken.Register(() => reactor.CallFromThread(deferred.Cancel))
            : default;
        _ = deferred.AddBoth(outcome =>
        {
            onCancel.Dispose();
            _onShutdown.Dispose();
            if (outcome.Failure is not { } failure)
            {
                _source.TrySetResult(outcome.Value);
            }
            else if (failure.Value is OperationCanceledException canceled)
            {
                _source.TrySetCanceled(_cancellationToken.IsCancellationRequested ? _cancellationToken : canceled.CancellationToken);
            }
            else
            {
                _source.TrySetException(failure.Value);
            }
            return 0;
        });
    }
}
