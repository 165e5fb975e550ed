using AsyncCore.Transports;

namespace AsyncCore.Reactors;

/// <summary>
/// A reactor running on a dedicated background thread (from <see cref="ReactorThreadExtensions.RunInBackground"/>). Disposing it stops the
/// reactor and waits for the thread.
/// </summary>
public sealed class ReactorThread : IDisposable, IAsyncDisposable
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal ReactorThread(NetworkReactorBase reactor)
    {
        Reactor = reactor;
        Thread = new Thread(RunLoop) { IsBackground = true, Name = reactor.Name };
        Thread.Start();
    }

    /// <summary>The reactor.</summary>
    public NetworkReactorBase Reactor { get; }

    /// <summary>The thread running it.</summary>
    public Thread Thread { get; }

    /// <summary>Completes when <c>Run</c> has returned; faults with the exception it threw, if any.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Asks the reactor to stop, from any thread; does nothing if it is already stopping or has stopped.</summary>
    public void Stop() => Reactor.StopIfRunning();

    /// <summary>Waits up to <paramref name="timeout"/> for the thread to end; true when it did.</summary>
    public bool Join(TimeSpan timeout) => Thread.Join(timeout);

    /// <summary>Stops the reactor and waits for its thread (unless called on that thread).</summary>
    public void Dispose()
    {
        Stop();
        if (Thread.CurrentThread != Thread)
        {
            Thread.Join();
        }
    }

    /// <summary>
    /// Stops the reactor and waits, without blocking, until its <c>Run</c> has returned (the shutdown triggers have run).
    /// A <c>Run</c> that failed does not make this throw: read <see cref="Completion"/> for that.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Stop();
        if (Thread.CurrentThread != Thread)
        {
            await Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private void RunLoop()
    {
        try
        {
            Reactor.Run();
            _completion.TrySetResult();
        }
        catch (Exception ex)
        {
            _completion.TrySetException(ex);
        }
    }
}
