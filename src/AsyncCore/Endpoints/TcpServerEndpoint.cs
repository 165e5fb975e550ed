using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Endpoints;

/// <summary>A TCP port to listen on (Twisted's <c>TCP4ServerEndpoint</c> and <c>TCP6ServerEndpoint</c>).</summary>
/// <param name="reactor">The reactor.</param>
/// <param name="port">The port; 0 picks a free one.</param>
/// <param name="backlog">The listen queue length.</param>
/// <param name="interfaceAddress">The address to bind: empty for all IPv4 addresses, <c>::</c> for all IPv6 ones.</param>
public sealed class TcpServerEndpoint(IReactorTcp reactor, int port, int backlog = 50, string interfaceAddress = "") : IStreamServerEndpoint
{
    /// <summary>The port.</summary>
    public int Port { get; } = port;

    /// <summary>The listen queue length.</summary>
    public int Backlog { get; } = backlog;

    /// <summary>The bound address.</summary>
    public string InterfaceAddress { get; } = interfaceAddress ?? "";

    /// <inheritdoc />
    public Deferred<IListeningPort> Listen(Factory factory) =>
        Deferred.MaybeDeferred(() => reactor.ListenTcp(Port, factory, Backlog, InterfaceAddress));
}

/// <summary>A TCP address to connect to (Twisted's <c>TCP4ClientEndpoint</c>/<c>TCP6ClientEndpoint</c>).</summary>
/// <param name="reactor">The reactor.</param>
/// <param name="host">A host name or an IP literal.</param>
/// <param name="port">The port.</param>
/// <param name="timeout">The connection timeout (30 s when null).</param>
/// <param name="bindAddress">The local address to bind first, or null.</param>
public sealed class TcpClientEndpoint(IReactorTcp reactor, string host, int port, TimeSpan? timeout = null, System.Net.EndPoint? bindAddress = null) : IStreamClientEndpoint
{
    /// <summary>The host.</summary>
    public string Host { get; } = host ?? throw new ArgumentNullException(nameof(host));

    /// <summary>The port.</summary>
    public int Port { get; } = port;

    /// <summary>The connection timeout.</summary>
    public TimeSpan Timeout { get; } = timeout ?? TimeSpan.FromSeconds(30);

    /// <summary>The local address bound first.</summary>
    public System.Net.EndPoint? BindAddress { get; } = bindAddress;

    /// <inheritdoc />
    public Deferred<IProtocol> Connect(Factory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var client = new EndpointClientFactory(factory, new System.Net.DnsEndPoint(Host, Port));
        try
        {
            client.Connector = reactor.ConnectTcp(Host, Port, client, Timeout, BindAddress);
        }
        catch (Exception e)
        {
            return Deferred.Fail<IProtocol>(e);
        }
        return client.Result;
    }
}
