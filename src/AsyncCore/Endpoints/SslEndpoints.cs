using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Endpoints;

/// <summary>A TLS-over-TCP port to listen on (Twisted's <c>SSL4ServerEndpoint</c>).</summary>
/// <param name="reactor">The reactor.</param>
/// <param name="port">The port; 0 picks a free one.</param>
/// <param name="options">The server certificate and client-certificate policy.</param>
/// <param name="backlog">The listen queue length.</param>
/// <param name="interfaceAddress">The address to bind.</param>
public sealed class SslServerEndpoint(IReactorSsl reactor, int port, TlsServerOptions options, int backlog = 50, string interfaceAddress = "") : IStreamServerEndpoint
{
    /// <summary>The port.</summary>
    public int Port { get; } = port;

    /// <summary>The TLS options.</summary>
    public TlsServerOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>The listen queue length.</summary>
    public int Backlog { get; } = backlog;

    /// <summary>The bound address.</summary>
    public string InterfaceAddress { get; } = interfaceAddress ?? "";

    /// <inheritdoc />
    public Deferred<IListeningPort> Listen(Factory factory) =>
        Deferred.MaybeDeferred(() => reactor.ListenSsl(Port, factory, Options, Backlog, InterfaceAddress));
}

/// <summary>A TLS-over-TCP address to connect to (Twisted's <c>SSL4ClientEndpoint</c>).</summary>
/// <param name="reactor">The reactor.</param>
/// <param name="host">A host name or an IP literal.</param>
/// <param name="port">The port.</param>
/// <param name="options">Server verification, SNI and client certificate.</param>
/// <param name="timeout">The connection timeout (30 s when null).</param>
/// <param name="bindAddress">The local address to bind first, or null.</param>
public sealed class SslClientEndpoint(IReactorSsl reactor, string host, int port, TlsClientOptions options, TimeSpan? timeout = null, System.Net.EndPoint? bindAddress = null)
    : IStreamClientEndpoint
{
    /// <summary>The host.</summary>
    public string Host { get; } = host ?? throw new ArgumentNullException(nameof(host));

    /// <summary>The port.</summary>
    public int Port { get; } = port;

    /// <summary>The TLS options.</summary>
    public TlsClientOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

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
            client.Connector = reactor.ConnectSsl(Host, Port, client, Options, Timeout, BindAddress);
        }
        catch (Exception e)
        {
            return Deferred.Fail<IProtocol>(e);
        }
        return client.Result;
    }
}
