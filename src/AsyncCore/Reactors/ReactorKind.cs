namespace AsyncCore.Reactors;

/// <summary>Which reactor <see cref="ReactorFactory.Create"/> makes.</summary>
public enum ReactorKind
{
    /// <summary>
    /// The kind named by the <c>ASYNCCORE_REACTOR</c> environment variable when it is set; otherwise the fastest reactor
    /// of the platform: <see cref="Epoll"/> on Linux (as Twisted picks its epoll reactor there), <see cref="EventLoop"/>
    /// elsewhere.
    /// </summary>
    Default,

    /// <summary><see cref="EpollReactor"/>: readiness I/O on the reactor thread, Linux only (elsewhere <see cref="EventLoop"/>).</summary>
    Epoll,

    /// <summary><see cref="EventLoopReactor"/>: the runtime's completion-based sockets, any OS (the portable reactor).</summary>
    EventLoop,
}
