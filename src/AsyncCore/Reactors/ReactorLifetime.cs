using AsyncCore.Reactor;

namespace AsyncCore.Reactors;

/// <summary>
/// Disposal of a reactor that runs its own loop: disposing a running reactor stops it and frees its resources once the
/// loop has ended, never under it (a wake-up handle or an epoll descriptor freed while the loop waits on it would crash
/// the loop, or worse, wait on a reused descriptor).
/// </summary>
internal sealed class ReactorLifetime(ReactorBase reactor, Action free)
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _run;
    private bool _disposeRequested;
    private int _freed;

    /// <summary>Called by <c>Run</c> before the loop starts.</summary>
    /// <exception cref="ObjectDisposedException">The reactor was disposed.</exception>
    /// <exception cref="ReactorAlreadyRunningException">The loop is running.</exception>
    public void Enter()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposeRequested, reactor);
            if (_run is not null)
            {
                throw new ReactorAlreadyRunningException();
            }
            _run = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Called by <c>Run</c> once the loop has ended: frees the resources if a dispose came meanwhile.</summary>
    public void Exit()
    {
        TaskCompletionSource run;
        bool free;
        lock (_lock)
        {
            run = _run!;
            _run = null;
            free = _disposeRequested;
        }
        if (free)
        {
            Free();
        }
        run.TrySetResult();
    }

    /// <summary>
    /// Frees at once when the loop is not running. Otherwise stops the reactor and, from another thread, waits for the
    /// loop to end (the shutdown triggers run first); on the reactor thread it cannot wait for itself, so the resources
    /// are freed when the loop ends.
    /// </summary>
    public void Dispose()
    {
        if (BeginDispose() is not { } running)
        {
            return;
        }
        if (!reactor.IsReactorThread)
        {
            running.Wait();
        }
    }

    /// <summary>Like <see cref="Dispose"/>, waiting without blocking. Do not await it on the reactor thread.</summary>
    public async ValueTask DisposeAsync()
    {
        if (BeginDispose() is { } running && !reactor.IsReactorThread)
        {
            await running.ConfigureAwait(false);
        }
    }

    /// <summary>Marks the reactor disposed; returns the running loop's end, or null when everything is freed already.</summary>
    private Task? BeginDispose()
    {
        Task? running;
        lock (_lock)
        {
            _disposeRequested = true;
            running = _run?.Task;
        }
        if (running is null)
        {
            Free();
            return null;
        }
        reactor.StopIfRunning();
        return running;
    }

    private void Free()
    {
        if (Interlocked.Exchange(ref _freed, 1) == 0)
        {
            free();
        }
    }
}
