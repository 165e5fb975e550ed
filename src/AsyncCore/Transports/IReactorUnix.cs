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
    /// <exception cref="CannotListenException">The path cannot be bound.</exception>
    IListeningPort ListenUnix(string path, Factory factory, int backlog = 50, int mode = 438);

    /// <summary>Connects to the socket file <paramref name="path"/>.</summary>
    IConnector ConnectUnix(string path, ClientFactory factory, TimeSpan? timeout = null);
}
