using AsyncCore.Reactor;
using AsyncCore.Reactors;

namespace AsyncCore.Hosting;

/// <summary>
/// How <see cref="AsyncCoreServiceCollectionExtensions.AddAsyncCore"/> runs the reactor. Read from the configuration
/// section <c>AsyncCore</c> first (keys <c>ReactorKind</c>, <c>ApplicationName</c> and <c>Reactor:Name</c>,
/// <c>Reactor:StallThreshold</c>, <c>Reactor:MinThreads</c>, <c>Reactor:MaxThreads</c>, <c>Reactor:DebugDeferreds</c>,
/// <c>Reactor:SpinBeforeSleep</c>),
/// then changed by the delegate given to <c>AddAsyncCore</c>.
/// </summary>
public sealed class AsyncCoreOptions
{
    /// <summary>The configuration section read. </summary>
    public const string SectionName = "AsyncCore";

    /// <summary>
    /// Which reactor to run. Default <see cref="ReactorKind.Default"/>: the one <see cref="ReactorFactory"/> picks
    /// (<c>EpollReactor</c> on Linux, <c>EventLoopReactor</c> elsewhere, unless the <c>ASYNCCORE_REACTOR</c> environment
    /// variable names another); configuration values <c>Default</c>, <c>Epoll</c>, <c>EventLoop</c>.
    /// </summary>
    public ReactorKind ReactorKind { get; set; }

    /// <summary>
    /// The reactor's options. A null <see cref="ReactorOptions.LoggerFactory"/> becomes the host's
    /// <c>ILoggerFactory</c>, so the reactor logs where the host does.
    /// </summary>
    public ReactorOptions Reactor { get; set; } = new();

    /// <summary>The name of the root service (for logs). Default "application".</summary>
    public string ApplicationName { get; set; } = "application";
}
