using AsyncCore.Reactor;
using AsyncCore.Transports;

namespace AsyncCore.Reactors;

/// <summary>
/// Makes the reactor a program gets when it does not choose one: the one place that decides, used by
/// <see cref="ReactorMain.React(Func{NetworkReactorBase, Deferred})"/>, the <c>asynccore</c> runner and the Generic Host
/// integration.
/// </summary>
/// <remarks>
/// <para>The default is <see cref="EpollReactor"/> on Linux and <see cref="EventLoopReactor"/> elsewhere (Twisted likewise
/// installs its epoll reactor on Linux). Both run the same protocols, timers and Deferreds; the epoll reactor serves plain
/// TCP and UNIX connections on its own thread, which costs about half the CPU per message (bench/README-net.md).</para>
/// <para>To override it without changing code, set the environment variable <c>ASYNCCORE_REACTOR</c> to <c>epoll</c> or
/// <c>eventloop</c> (<c>default</c> or empty: the platform's choice); entry points with their own setting (the runner's
/// <c>--reactor</c>, the host's <c>AsyncCore:ReactorKind</c>) take precedence over it when set to another kind than
/// <see cref="ReactorKind.Default"/>.</para>
/// </remarks>
public static class ReactorFactory
{
    /// <summary>The environment variable that overrides the default kind: <c>epoll</c>, <c>eventloop</c> or <c>default</c>.</summary>
    public const string EnvironmentVariable = "ASYNCCORE_REACTOR";

    /// <summary>
    /// Makes a reactor of the given kind, by default the default one (<see cref="ReactorKind.Default"/>, resolved by
    /// <see cref="Resolve"/>); it does nothing until it runs. Dispose it when done.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>ASYNCCORE_REACTOR</c> holds an unknown name.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined kind.</exception>
    public static NetworkReactorBase Create(ReactorKind kind = ReactorKind.Default, ReactorOptions? options = null) =>
        Resolve(kind) switch
        {
            ReactorKind.Epoll when OperatingSystem.IsLinux() => new EpollReactor(options),
            _ => new EventLoopReactor(options),
        };

    /// <summary>
    /// The kind <see cref="Create"/> makes for <paramref name="kind"/> on this platform:
    /// <see cref="ReactorKind.Default"/> becomes the kind named by <c>ASYNCCORE_REACTOR</c>, or else
    /// <see cref="ReactorKind.Epoll"/> on Linux and <see cref="ReactorKind.EventLoop"/> elsewhere;
    /// <see cref="ReactorKind.Epoll"/> becomes <see cref="ReactorKind.EventLoop"/> off Linux.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>ASYNCCORE_REACTOR</c> holds an unknown name.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined kind.</exception>
    public static ReactorKind Resolve(ReactorKind kind)
    {
        if (kind == ReactorKind.Default)
        {
            var named = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!TryParse(named, out kind))
            {
                throw new InvalidOperationException(
                    $"{EnvironmentVariable}='{named}' is not a reactor: use 'epoll', 'eventloop' or 'default'.");
            }
            if (kind == ReactorKind.Default)
            {
                kind = ReactorKind.Epoll;
            }
        }
        return kind switch
        {
            ReactorKind.Epoll => OperatingSystem.IsLinux() ? ReactorKind.Epoll : ReactorKind.EventLoop,
            ReactorKind.EventLoop => ReactorKind.EventLoop,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a reactor kind."),
        };
    }

    /// <summary>
    /// Reads a reactor name as the runner and <c>ASYNCCORE_REACTOR</c> spell it: <c>epoll</c>, <c>eventloop</c> or
    /// <c>default</c>, in any case; null, empty or blank means <see cref="ReactorKind.Default"/>.
    /// </summary>
    /// <returns>False when <paramref name="name"/> is none of these.</returns>
    public static bool TryParse(string? name, out ReactorKind kind)
    {
        switch (name?.Trim().ToUpperInvariant())
        {
            case null or "" or "DEFAULT":
                kind = ReactorKind.Default;
                return true;
            case "EPOLL":
                kind = ReactorKind.Epoll;
                return true;
            case "EVENTLOOP":
                kind = ReactorKind.EventLoop;
                return true;
            default:
                kind = ReactorKind.Default;
                return false;
        }
    }
}
