using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Endpoints;

/// <summary>A UNIX socket file to listen on (Twisted's <c>UNIXServerEndpoint</c>).</summary>
/// <param name="reactor">The reactor.</param>
/// <param name="path">The socket file.</param>
/// <param name="backlog">The listen queue length.</param>
/// <param name="mode">The socket file's mode (octal 666 by default).</param>
/// <param name="wantPid">Holds the PID lock file <c>PATH.lock</c> while listening (see <see cref="IReactorUnix.ListenUnix"/>).</param>
public sealed class UnixServerEndpoint(IReactorUnix reactor, string path, int backlog = 50, int mode = 438, bool wantPid = false) : IStreamServerEndpoint
{
    /// <summary>The socket file.</summary>
    public string Path { get; } = path ?? throw new ArgumentNullException(nameof(path));

    /// <summary>The listen queue length.</summary>
    public int Backlog { get; } = backlog;

    /// <summary>The socket file's mode.</summary>
    public int Mode { get; } = mode;

    /// <summary>True when the port holds the PID lock file <c>PATH.lock</c> while listening.</summary>
    public bool WantPid { get; } = wantPid;

    /// <inheritdoc />
    public Deferred<IListeningPort> Listen(Factory factory) =>
        Deferred.MaybeDeferred(() => reactor.ListenUnix(Path, factory, Backlog, Mode, WantPid));
}

/// <summary>A UNIX socket file to connect to (Twisted's <c>UNIXClientEndpoint</c>).</summary>
/// <param name="reactor">The reactor.</param>
/// <param name="path">The socket file.</param>
/// <param name="timeout">The connection timeout (30 s when null).</param>
/// <param name="checkPid">
/// Connects only when a live process holds the server's PID lock file <c>PATH.lock</c> (Twisted's <c>checkPID</c>);
/// otherwise the connection fails with <see cref="ConnectException"/>.
/// </param>
public sealed class UnixClientEndpoint(IReactorUnix reactor, string path, TimeSpan? timeout = null, bool checkPid = false) : IStreamClientEndpoint
{
    /// <summary>The socket file.</summary>
    public string Path { get; } = path ?? throw new ArgumentNullException(nameof(path));

    /// <summary>The connection timeout.</summary>
    public TimeSpan Timeout { get; } = timeout ?? TimeSpan.FromSeconds(30);

    /// <summary>True when a connection needs a live process holding <c>PATH.lock</c>.</summary>
    public bool CheckPid { get; } = checkPid;

    /// <inheritdoc />
    public Deferred<IProtocol> Connect(Factory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (CheckPid)
        {
            bool locked;
            try
            {
                locked = FilesystemLock.IsLocked(Path + ".lock");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Deferred.Fail<IProtocol>(new ConnectException($"Cannot check the lock file {Path}.lock: {e.Message}", e));
            }
            if (!locked)
            {
                // Twisted's BadFileError: no live server holds the socket file.
                return Deferred.Fail<IProtocol>(new ConnectException($"No live process holds the lock file {Path}.lock of {Path}."));
            }
        }
        var client = new EndpointClientFactory(factory, UnixSocketAddress.ForDisplay(Path));
        try
        {
            client.Connector = reactor.ConnectUnix(Path, client, Timeout);
        }
        catch (Exception e)
        {
            return Deferred.Fail<IProtocol>(e);
        }
        return client.Result;
    }
}
