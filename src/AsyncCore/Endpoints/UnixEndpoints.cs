using System.Net.Sockets;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Endpoints;

/// <summary>A UNIX socket file to listen on (Twisted's <c>UNIXServerEndpoint</c>).</summary>
/// <param name="reactor">The reactor.</param>
/// <param name="path">The socket file.</param>
/// <param name="backlog">The listen queue length.</param>
/// <param name="mode">The socket file's mode (octal 666 by default).</param>
public sealed class UnixServerEndpoint(IReactorUnix reactor, string path, int backlog = 50, int mode = 438) : IStreamServerEndpoint
{
    /// <summary>The socket file.</summary>
    public string Path { get; } = path ?? throw new ArgumentNullException(nameof(path));

    /// <summary>The listen queue length.</summary>
    public int Backlog { get; } = backlog;

    /// <summary>The socket file's mode.</summary>
    public int Mode { get; } = mode;

    /// <inheritdoc />
    public Deferred<IListeningPort> Listen(Factory factory) =>
        Deferred.MaybeDeferred(() => reactor.ListenUnix(Path, factory, Backlog, Mode));
}

/// <summary>A UNIX socket file to connect to (Twisted's <c>UNIXClientEndpoint</c>).</summary>
/// <param name="reactor">The reactor.</param>
/// <param name="path">The socket file.</param>
/// <param name="timeout">The connection timeout (30 s when null).</param>
public sealed class UnixClientEndpoint(IReactorUnix reactor, string path, TimeSpan? timeout = null) : IStreamClientEndpoint
{
    /// <summary>The socket file.</summary>
    public string Path { get; } = path ?? throw new ArgumentNullException(nameof(path));

    /// <summary>The connection timeout.</summary>
    public TimeSpan Timeout { get; } = timeout ?? TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public Deferred<IProtocol> Connect(Factory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var client = new EndpointClientFactory(factory, new UnixDomainSocketEndPoint(Path));
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
