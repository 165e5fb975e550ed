using AsyncCore.Transports;

namespace AsyncCore.Reactors;

/// <summary>Runs any reactor in the background: <c>using var running = reactor.RunInBackground();</c>.</summary>
public static class ReactorThreadExtensions
{
    /// <inheritdoc cref="ReactorThread.RunInBackground(NetworkReactorBase)"/>
    public static ReactorThread RunInBackground(this NetworkReactorBase reactor) => ReactorThread.RunInBackground(reactor);
}
