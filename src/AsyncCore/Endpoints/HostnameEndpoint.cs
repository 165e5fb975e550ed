using System.Net;
using System.Net.Sockets;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Transports;

namespace AsyncCore.Endpoints;

/// <summary>
/// Connects to a host name by trying every address it resolves to (Twisted's <c>HostnameEndpoint</c>, "happy eyeballs"):
/// the first attempt starts at once, the next one <see cref="AttemptDelay"/> later or as soon as an attempt fails; the first
/// connection wins and the other attempts are cancelled. Addresses are interleaved by family, IPv6 first (RFC 8305).
/// </summary>
/// <remarks>
/// The reactor is an <see cref="INetworkReactor"/>: attempts use <see cref="IReactorTcp"/> (or <see cref="IReactorSsl"/>
/// with <see cref="Tls"/>) and <see cref="IReactorTime"/>; name resolution runs off the reactor thread and its result
/// comes back through <see cref="IReactorThreads.CallFromThread"/>.
/// </remarks>
public sealed class HostnameEndpoint : IStreamClientEndpoint
{
    private readonly INetworkReactor _reactor;

    /// <summary>Creates the endpoint.</summary>
    /// <param name="reactor">The reactor.</param>
    /// <param name="host">A host name or an IP literal.</param>
    /// <param name="port">The port.</param>
    /// <param name="timeout">The timeout of each attempt (30 s when null).</param>
    /// <param name="bindAddress">The local address to bind first, or null.</param>
    /// <param name="attemptDelay">The delay between starting attempts (0.3 s when null).</param>
    /// <param name="tls">TLS options: attempts use TLS over TCP; null for plain TCP.</param>
    /// <exception cref="ArgumentException">The host is empty.</exception>
    public HostnameEndpoint(INetworkReactor reactor, string host, int port, TimeSpan? timeout = null, EndPoint? bindAddress = null,
        TimeSpan? attemptDelay = null, TlsClientOptions? tls = null)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        ArgumentException.ThrowIfNullOrEmpty(host);
        _reactor = reactor;
        Host = host;
        Port = port;
        Timeout = timeout ?? TimeSpan.FromSeconds(30);
        BindAddress = bindAddress;
        AttemptDelay = attemptDelay ?? TimeSpan.FromSeconds(0.3);
        Tls = tls;
    }

    /// <summary>The host.</summary>
    public string Host { get; }

    /// <summary>The port.</summary>
    public int Port { get; }

    /// <summary>The timeout of each attempt.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The local address bound first.</summary>
    public EndPoint? BindAddress { get; }

    /// <summary>The delay between starting attempts.</summary>
    public TimeSpan AttemptDelay { get; }

    /// <summary>The TLS options, or null.</summary>
    public TlsClientOptions? Tls { get; }

    /// <summary>Resolves a name (runs off the reactor thread); replace it in tests. Defaults to <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolver { get; set; } = Dns.GetHostAddressesAsync;

    /// <inheritdoc />
    public Deferred<IProtocol> Connect(Factory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var attempt = new Attempt(this, factory);
        return attempt.Start();
    }

    /// <summary>Orders addresses for connection attempts: families alternate, starting with IPv6 (RFC 8305 section 4).</summary>
    internal static List<IPAddress> Interleave(IEnumerable<IPAddress> addresses)
    {
        var v6 = new Queue<IPAddress>();
        var v4 = new Queue<IPAddress>();
        foreach (var address in addresses.Distinct())
        {
            (address.AddressFamily == AddressFamily.InterNetworkV6 ? v6 : v4).Enqueue(address);
        }
        var ordered = new List<IPAddress>(v6.Count + v4.Count);
        while (v6.Count > 0 || v4.Count > 0)
        {
            if (v6.TryDequeue(out var a))
            {
                ordered.Add(a);
            }
            if (v4.TryDequeue(out var b))
            {
                ordered.Add(b);
            }
        }
        return ordered;
    }

    private sealed class Attempt
    {
        private readonly HostnameEndpoint _endpoint;
        private readonly Factory _factory;
        private readonly Deferred<IProtocol> _result;
        private readonly List<Deferred<IProtocol>> _pending = [];
        private readonly CancellationTokenSource _resolving = new();
        private List<IPAddress> _addresses = [];
        private int _next;
        private IDelayedCall? _timer;
        private Failure? _lastFailure;

        public Attempt(HostnameEndpoint endpoint, Factory factory)
        {
            _endpoint = endpoint;
            _factory = factory;
            _result = new Deferred<IProtocol>(_ =>
            {
                _resolving.Cancel();
                StopAll();
                _result!.Errback(new ConnectingCancelledException(new DnsEndPoint(endpoint.Host, endpoint.Port)));
            });
        }

        public Deferred<IProtocol> Start()
        {
            if (IPAddress.TryParse(_endpoint.Host, out var literal))
            {
                Resolved([literal]);
                return _result;
            }
            Task<IPAddress[]> lookup;
            try
            {
                lookup = _endpoint.Resolver(_endpoint.Host, _resolving.Token);
            }
            catch (Exception e) when (e is SocketException or ArgumentException)
            {
                _result.Errback(new DnsLookupException($"DNS lookup failed for {_endpoint.Host}: {e.Message}", e));
                return _result;
            }
            lookup.ContinueWith(
                t => _endpoint._reactor.CallFromThread(() => OnLookup(t)),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return _result;
        }

        private void OnLookup(Task<IPAddress[]> lookup)
        {
            if (_result.Called)
            {
                return;
            }
            if (!lookup.IsCompletedSuccessfully)
            {
                var error = lookup.Exception?.GetBaseException();
                _result.Errback(new DnsLookupException($"DNS lookup failed for {_endpoint.Host}: {error?.Message ?? "cancelled"}", error ?? new OperationCanceledException()));
                return;
            }
            Resolved(lookup.Result);
        }

        private void Resolved(IPAddress[] addresses)
        {
            _addresses = Interleave(addresses);
            if (_addresses.Count == 0)
            {
                _result.Errback(new DnsLookupException($"DNS lookup for {_endpoint.Host} returned no address."));
                return;
            }
            StartNext();
        }

        private void StartNext()
        {
            if (_result.Called)
            {
                return;
            }
            if (_timer is { Active: true })
            {
                _timer.Cancel();
            }
            _timer = null;
            if (_next >= _addresses.Count)
            {
                return;
            }
            var address = _addresses[_next++];
            var client = new EndpointClientFactory(_factory, new IPEndPoint(address, _endpoint.Port));
            try
            {
                client.Connector = _endpoint.Tls is null
                    ? _endpoint._reactor.ConnectTcp(address.ToString(), _endpoint.Port, client, _endpoint.Timeout, _endpoint.BindAddress)
                    : _endpoint._reactor.ConnectSsl(address.ToString(), _endpoint.Port, client, WithHostname(_endpoint.Tls), _endpoint.Timeout, _endpoint.BindAddress);
            }
            catch (Exception e)
            {
                Failed(client.Result, new Failure(e));
                return;
            }
            var attempt = client.Result;
            _pending.Add(attempt);
            attempt.AddCallbacks<object?>(protocol => Won(attempt, protocol), failure => Failed(attempt, failure));
            if (_next < _addresses.Count && !_result.Called)
            {
                _timer = _endpoint._reactor.CallLater(_endpoint.AttemptDelay, StartNext);
            }
        }

        private TlsClientOptions WithHostname(TlsClientOptions options)
        {
            // Connecting by address must still send the name as SNI and check the certificate against it.
            if (options.Hostname is not null || IPAddress.TryParse(_endpoint.Host, out _))
            {
                return options;
            }
            return new TlsClientOptions
            {
                Hostname = _endpoint.Host,
                VerifyServer = options.VerifyServer,
                TrustRoots = options.TrustRoots,
                ClientCertificate = options.ClientCertificate,
                EnabledProtocols = options.EnabledProtocols,
                ServerCertificateValidation = options.ServerCertificateValidation,
                ApplicationProtocols = options.ApplicationProtocols,
            };
        }

        private object? Won(Deferred<IProtocol> attempt, IProtocol protocol)
        {
            _pending.Remove(attempt);
            if (_result.Called)
            {
                // Cancelled meanwhile, or another attempt won: drop this connection.
                (protocol as Protocol)?.Transport.LoseConnection();
                return null;
            }
            StopAll();
            _result.Callback(protocol);
            return null;
        }

        private object? Failed(Deferred<IProtocol> attempt, Failure failure)
        {
            _pending.Remove(attempt);
            if (_result.Called)
            {
                return null;
            }
            _lastFailure = failure;
            if (_next < _addresses.Count)
            {
                StartNext();
            }
            else if (_pending.Count == 0)
            {
                _result.Errback(_lastFailure);
            }
            return null;
        }

        private void StopAll()
        {
            if (_timer is { Active: true })
            {
                _timer.Cancel();
            }
            _timer = null;
            _next = _addresses.Count;
            foreach (var attempt in _pending.ToArray())
            {
                attempt.Cancel();
            }
            _pending.Clear();
        }
    }
}
