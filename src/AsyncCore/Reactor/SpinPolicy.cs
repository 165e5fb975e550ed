namespace AsyncCore.Reactor;

/// <summary>
/// Whether a reactor keeps looking for work a little while (50 µs) before it sleeps: <c>EpollReactor</c> polls for I/O
/// after a pass that handled socket events, and both wait for the next thread call (an I/O completion on
/// <c>EventLoopReactor</c>, a reply handed over by another thread on either) with yields. See
/// <see cref="ReactorOptions.SpinBeforeSleep"/>.
/// </summary>
public enum SpinPolicy
{
    /// <summary>
    /// Spins only while spinning pays: when the last sleep was ended by work (I/O, or a thread call) within the 50 µs
    /// window, or the last spin found some (<c>EpollReactor</c> polls for I/O only after a pass with I/O). A reactor that
    /// is idle, or whose traffic is sparse, stops spinning after one unanswered spin and only sleeps; a stream or a fast
    /// request/response exchange keeps it spinning. The wait for a thread call also stops for 100 ms when a yield lost
    /// its core to another thread for a millisecond (a busy core). The default.
    /// </summary>
    Adaptive,

    /// <summary>Never spins: the reactor sleeps (in <c>epoll_wait</c>, or on its event) as soon as it has nothing to do (least CPU, more wake-ups).</summary>
    Never,

    /// <summary>
    /// Spins before every sleep (on <c>EpollReactor</c>, after every pass that handled I/O): lowest latency under load; up
    /// to 50 µs of CPU per pass when traffic is sparse.
    /// </summary>
    Always,
}
