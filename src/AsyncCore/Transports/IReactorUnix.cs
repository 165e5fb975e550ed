using AsyncCore.Protocols;

namespace AsyncCore.Transports;

/// <summary>The UNIX domain socket capability of a reactor (Twisted's <c>IReactorUNIX</c>).</summary>
public interface IReactorUnix
{
    /// <summary>Listens on the socket file <paramref name="path"/>, which must not exist; it is removed when the port stops.</summary>
    /// <param name="path">The socket file.</param>
    /// <param name="factory">Builds the protocols.</param>
    /// <param name="backlog">The listen queue length.</param>
    /// <param name="mode">The file mode of the socket file (octal 666 by default).</param>
    /// <param name="wantPid">
    /// Holds the PID lock file <c>PATH.lock</c> while listening (Twisted's <c>wantPID</c>): a symbolic link to this
    /// process's id (see <see cref="Transports.FilesystemLock"/>). A lock held by a live process makes the listen fail;
    /// a stale one (its process gone) is taken over and the socket file it left is removed first. The lock is released
    /// when the port stops listening.
    /// </param>
    /// <exception cref="CannotListenException">The path cannot be bound, or its lock is held by a live process.</exception>
    IListeningPort ListenUnix(string path, Factory factory, int backlog = 50, int mode = 438, bool wantPid = false);

    /// <summary>Connects to the socket file <paramref name="path"/>.</summary>
    IConnector ConnectUnix(string path, ClientFactory factory, TimeSpan? timeout = null);
}
