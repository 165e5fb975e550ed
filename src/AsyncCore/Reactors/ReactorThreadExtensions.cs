using AsyncCore.Transports;

namespace AsyncCore.Reactors;

/// <summary>Runs a reactor in the background: <c>using var running = reactor.RunInBackground();</c>.</summary>
public static class ReactorThreadExtensions
{
    /// <summary>
    /// Runs <paramref name="reactor"/> (an <see cref="EventLoopReactor"/> or an <see cref="EpollReactor"/>, such as
    /// <see cref="ReactorFactory.Create"/> makes) on a new background thread named after it and returns at once; the
    /// returned handle stops it and waits for the thread to end.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="reactor"/> is a <see cref="HostLoopReactor"/>, which runs on its host's loop.</exception>
    public static ReactorThread RunInBackground(this NetworkReactorBase reactor)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        if (reactor is HostLoopReactor)
        {
            throw new ArgumentException("A HostLoopReactor runs on its host's loop (call Start), not on a thread of its own.", nameof(reactor));
        }
        return new ReactorThread(reactor);
    }
}
