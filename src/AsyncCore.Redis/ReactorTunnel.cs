using System.Net;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Transports;
using RESPite.Transports;
using StackExchange.Redis;
using StackExchange.Redis.Configuration;

namespace AsyncCore.Redis;

/// <summary>
/// Carries the multiplexer's connections over the reactor's own TCP connections, so that StackExchange.Redis reads its
/// replies on the reactor thread and no reply waits for a thread switch to get there (with one command in flight, that
/// switch was most of the difference from direct <c>await</c> on StackExchange.Redis's own sockets).
/// </summary>
/// <remarks>
/// This uses StackExchange.Redis's push transport (<see cref="DuplexTransport"/>, marked experimental, SER009): the
/// multiplexer still does the protocol, the pipelining and the reconnection; the transport only moves bytes. Used for
/// plain TCP endpoints only: a TLS connection, a UNIX socket or a configuration with its own tunnel keeps the
/// multiplexer's sockets, and then replies are handed over from its threads.
/// </remarks>
#pragma warning disable SER009
internal sealed class ReactorTunnel(ReplyPump pump, IReactorTcp tcp, TimeSpan connectTimeout) : Tunnel
{
    /// <summary>Gives <paramref name="options"/> this tunnel when the reactor can carry its connections.</summary>
    public static void Apply(ConfigurationOptions options, ReplyPump pump)
    {
        if (options.Tunnel is null && !options.Ssl && pump.Reactor is IReactorTcp tcp)
        {
            options.Tunnel = new ReactorTunnel(pump, tcp, TimeSpan.FromMilliseconds(options.ConnectTimeout));
        }
    }

    public override ValueTask<DuplexTransport?> ConnectTransportAsync(EndPoint endpoint, ConnectionType connectionType, TlsOptions tls, CancellationToken cancellationToken)
    {
        var (host, port) = endpoint switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            _ => (null, 0),
        };
        if (host is null || tls.IsEnabled)
        {
            return default;
        }
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<DuplexTransport?>(cancellationToken);
        }
        var connected = new TaskCompletionSource<DuplexTransport?>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The multiplexer may give up first (its connect timeout): the attempt's Task is cancelled then, and a connection
        // made after that is closed at once instead of being left open with no owner.
        var cancel = cancellationToken.Register(() => connected.TrySetCanceled(cancellationToken));
        pump.Reactor.CallFromThread(() =>
        {
            var transport = new ReactorDuplexTransport(pump);
            var factory = new ConnectingFactory(
                new ReactorDuplexTransport.Wire(transport, made =>
                {
                    cancel.Unregister();
                    if (!connected.TrySetResult(made))
                    {
                        made.Drop();
                    }
                }),
                // The multiplexer reports it as the reason the connection could not be made.
                failure =>
                {
                    cancel.Unregister();
                    connected.TrySetException(failure.Value);
                });
            tcp.ConnectTcp(host, port, factory, connectTimeout);
        });
        return new ValueTask<DuplexTransport?>(connected.Task);
    }

    /// <summary>One connection attempt: its protocol, and what to do when it fails.</summary>
    private sealed class ConnectingFactory(IProtocol protocol, Action<Failure> failed) : ClientFactory(() => protocol)
    {
        public override void ClientConnectionFailed(IConnector connector, Failure reason) => failed(reason);
    }
}
#pragma warning restore SER009
