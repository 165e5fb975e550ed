namespace AsyncCore.Reactor;

/// <summary>
/// The thread capability of a reactor (Twisted's <c>IReactorThreads</c>): handing work to the reactor thread from any
/// thread, and running blocking work on the reactor's bounded thread pool.
/// </summary>
public interface IReactorThreads
{
    /// <summary>
    /// Runs <paramref name="callable"/> on the reactor thread at its next iteration. Thread-safe; calls from one thread run
    /// in the order they were made; wakes the loop at once. Calls made before the reactor runs wait for it.
    /// </summary>
    void CallFromThread(Action callable);

    /// <summary>Runs <paramref name="callable"/> on the reactor's thread pool.</summary>
    void CallInThread(Action callable);

    /// <summary>Sets the most threads the reactor's pool may use.</summary>
    void SuggestThreadPoolSize(int size);

    /// <summary>True when the calling thread is the reactor thread.</summary>
    bool IsReactorThread { get; }
}
