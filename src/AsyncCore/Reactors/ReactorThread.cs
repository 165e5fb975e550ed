using AsyncCore.Transports;

namespace AsyncCore.Reactors;

/// <summary>
/// A reactor running on a dedicated background thread (from <see cref="RunInBackground"/>). Disposing it stops the
/// reactor and waits for the thread.
/// </summary>
public sealed class ReactorThread : IDisposable, IAsyncDisposable
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ReactorThread(NetworkReactorBase reactor)
    {
        Reactor = reactor;
        Thread = new Thread(RunLoop) { IsBackground = true, Name = reactor.Name };
        Thread.Start();
    }

    /// <summary>
    /// Runs <paramref name="reactor"/> (an <see cref="EventLoopReactor"/> or an <see cref="EpollReactor"/>, such as
    /// <see cref="ReactorFactory.Create"/> makes) on a new background thread named after it and returns at once; the
    /// returned handle stops it and waits for the thread to end.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="reactor"/> is a <see cref="HostLoopReactor"/>, which runs on its host's loop.</exception>
    public static ReactorThread RunInBackground(NetworkReactorBase reactor)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        if (reactor is HostLoopReactor)
        {
            throw new ArgumentException("A HostLoopReactor runs on its host's loop (call Start), not on a thread of its own.", nameof(reactor));
        }
        return new ReactorThread(reactor);
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
