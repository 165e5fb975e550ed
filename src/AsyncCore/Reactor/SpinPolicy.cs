namespace AsyncCore.Reactor;

/// <summary>
/// Whether a readiness reactor (<c>EpollReactor</c>) keeps polling for I/O a little while (50 µs) after a pass that
/// handled socket events, before it sleeps: see <see cref="ReactorOptions.SpinBeforeSleep"/>.
/// </summary>
public enum SpinPolicy
{
    /// <summary>
    /// Polls only while polling pays: after a pass with I/O, when the last sleep ended with I/O within the polling window
    /// or the last poll found some. A reactor that is idle, or whose traffic is sparse, stops polling after one
    /// unanswered poll and only sleeps; a stream or a fast request/response exchange keeps it polling. The default.
    /// </summary>
    Adaptive,

    /// <summary>Never polls: the reactor sleeps in <c>epoll_wait</c> as soon as it has nothing to do (least CPU, more wake-ups).</summary>
    Never,

    /// <summary>Polls after every pass that handled I/O (lowest latency under load; up to 50 µs of CPU per pass when traffic is sparse).</summary>
    Always,
}
