using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Endpoints;

/// <summary>
/// Endpoints from description strings (Twisted's <c>serverFromString</c> and <c>clientFromString</c>) and
/// <see cref="ConnectProtocol"/>. See <see cref="EndpointDescription"/> for the grammar and its escaping rules.
/// </summary>
/// <remarks>
/// Server types (lower-case, as in Twisted): <c>tcp:PORT[:interface=IP][:backlog=N]</c>, <c>tcp6:PORT[:interface=::]</c>,
/// <c>unix:PATH[:mode=666][:backlog=N][:lockfile=1]</c> (<c>lockfile</c> on by default, as in Twisted: the port holds the
/// PID lock file <c>PATH.lock</c>, see <see cref="IReactorUnix.ListenUnix"/>),
/// <c>ssl:PORT[:privateKey=server.pem][:certKey=PEM][:extraCertChain=PEM][:sslmethod=TLSv1_2_METHOD][:interface=][:backlog=]</c>.
/// Client types (any case): <c>tcp:HOST:PORT</c> or <c>tcp:host=H:port=P[:timeout=S][:bindAddress=IP]</c>,
/// <c>unix:PATH</c> or <c>unix:path=P[:timeout=S][:lockfile=0]</c> (<c>lockfile=1</c>: connect only when a live process
/// holds <c>PATH.lock</c>),
/// <c>ssl:HOST:PORT[:certKey=][:privateKey=][:caCertsDir=DIR][:hostname=NAME]</c> (no verification unless
/// <c>caCertsDir</c> or <c>hostname</c> is given, as in Twisted), and
/// <c>tls:HOST:PORT[:timeout=][:bindAddress=][:certificate=][:privateKey=][:trustRoots=]</c> (verifies the host name;
/// tries every resolved address as <see cref="HostnameEndpoint"/>).
/// </remarks>
public static class Endpoint
{
    /// <summary>Builds a server endpoint from <paramref name="description"/>, for example <c>tcp:8080:interface=127.0.0.1</c>.</summary>
    /// <param name="reactor">The reactor; it must provide the capability the type needs (<see cref="IReactorTcp"/>...).</param>
    /// <param name="description">The description.</param>
    /// <exception cref="EndpointFormatException">The description is malformed, names an unknown type or has bad fields.</exception>
    /// <exception cref="ArgumentException">The reactor lacks the capability.</exception>
    public static IStreamServerEndpoint ServerFromString(object reactor, string description)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        var parsed = EndpointDescription.Parse(description);
        switch (parsed.Type)
        {
            case "tcp":
            case "tcp6":
            {
                var kind = parsed.Type;
                var bound = parsed.Bind(kind, "port", "interface", "backlog");
                var port = EndpointDescription.Port(kind, EndpointDescription.Required(bound, kind, "port"));
                var backlog = bound.TryGetValue("backlog", out var b) ? EndpointDescription.Integer(kind, "backlog", b, 0) : 50;
                var iface = bound.GetValueOrDefault("interface", kind == "tcp6" ? "::" : "");
                return new TcpServerEndpoint(Need<IReactorTcp>(reactor), port, backlog, iface);
            }
            case "unix":
            {
                var bound = parsed.Bind("unix", "address", "mode", "backlog", "lockfile");
                var path = EndpointDescription.NonEmpty(bound, "unix", "address");
                var mode = bound.TryGetValue("mode", out var m) ? EndpointDescription.FileMode("unix", "mode", m) : 438;
                var backlog = bound.TryGetValue("backlog", out var b) ? EndpointDescription.Integer("unix", "backlog", b, 0) : 50;
                // On by default, as Twisted's server strings (unlike UnixServerEndpoint's constructor).
                var wantPid = !bound.TryGetValue("lockfile", out var lockfile) || EndpointDescription.Flag("unix", "lockfile", lockfile);
                return new UnixServerEndpoint(Need<IReactorUnix>(reactor), path, backlog, mode, wantPid);
            }
            case "ssl":
            {
                var bound = parsed.Bind("ssl", "port", "privateKey", "certKey", "sslmethod", "interface", "backlog", "extraCertChain", "dhParameters");
                var port = EndpointDescription.Port("ssl", EndpointDescription.Required(bound, "ssl", "port"));
                var privateKey = bound.GetValueOrDefault("privateKey", "server.pem");
                var certKey = bound.GetValueOrDefault("certKey", privateKey);
                var backlog = bound.TryGetValue("backlog", out var b) ? EndpointDescription.Integer("ssl", "backlog", b, 0) : 50;
                TlsServerOptions options;
                try
                {
                    options = TlsServerOptions.FromPemFiles(certKey, privateKey, bound.GetValueOrDefault("extraCertChain"));
                }
                catch (Exception e) when (e is IOException or CryptographicException or ArgumentException or UnauthorizedAccessException)
                {
                    throw new EndpointFormatException($"ssl: cannot load the certificate '{certKey}' and key '{privateKey}': {e.Message}", e);
                }
                if (bound.TryGetValue("sslmethod", out var method))
                {
                    options.EnabledProtocols = SslMethod(method);
                }
                if (bound.TryGetValue("dhParameters", out var dh) && !File.Exists(dh))
                {
                    // .NET picks its own (EC)DHE groups; the file is only checked so a typo is not silently accepted.
                    throw new EndpointFormatException($"ssl: dhParameters file '{dh}' does not exist.");
                }
                return new SslServerEndpoint(Need<IReactorSsl>(reactor), port, options, backlog, bound.GetValueOrDefault("interface", ""));
            }
            default:
                throw new EndpointFormatException($"Unknown endpoint type: '{parsed.Type}' (server types are tcp, tcp6, unix and ssl).");
        }
    }

    /// <summary>Builds a client endpoint from <paramref name="description"/>, for example <c>tcp:host=example.com:port=80</c>.</summary>
    /// <param name="reactor">The reactor; it must provide the capability the type needs.</param>
    /// <param name="description">The description.</param>
    /// <exception cref="EndpointFormatException">The description is malformed, names an unknown type or has bad fields.</exception>
    /// <exception cref="ArgumentException">The reactor lacks the capability.</exception>
    public static IStreamClientEndpoint ClientFromString(object reactor, string description)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        var parsed = EndpointDescription.Parse(description);
        switch (parsed.Type.ToUpperInvariant())
        {
            case "TCP":
            {
                var (host, port, timeout, bind, _) = TcpFields(parsed, "tcp");
                return new TcpClientEndpoint(Need<IReactorTcp>(reactor), host, port, timeout, bind);
            }
            case "UNIX":
            {
                var bound = parsed.Bind("unix", "path", "timeout", "lockfile");
                var path = EndpointDescription.NonEmpty(bound, "unix", "path");
                TimeSpan? timeout = bound.TryGetValue("timeout", out var t) ? EndpointDescription.Seconds("unix", "timeout", t) : null;
                var checkPid = bound.TryGetValue("lockfile", out var lockfile) && EndpointDescription.Flag("unix", "lockfile", lockfile);
                return new UnixClientEndpoint(Need<IReactorUnix>(reactor), path, timeout, checkPid);
            }
            case "SSL":
            {
                var (host, port, timeout, bind, extra) = TcpFields(parsed, "ssl", "certKey", "privateKey", "caCertsDir", "hostname");
                var options = new TlsClientOptions { VerifyServer = false };
                if (extra.TryGetValue("caCertsDir", out var caDir))
                {
                    options.TrustRoots = LoadRoots("ssl", "caCertsDir", caDir);
                    options.VerifyServer = true;
                }
                if (extra.TryGetValue("hostname", out var hostname))
                {
                    options.Hostname = hostname;
                    options.VerifyServer = true;
                }
                if (extra.TryGetValue("certKey", out var certKey))
                {
                    options.ClientCertificate = LoadCertificate("ssl", certKey, extra.GetValueOrDefault("privateKey"));
                }
                else if (extra.ContainsKey("privateKey"))
                {
                    throw new EndpointFormatException("ssl: privateKey needs certKey (the client certificate).");
                }
                return new SslClientEndpoint(Need<IReactorSsl>(reactor), host, port, options, timeout, bind);
            }
            case "TLS":
            {
                var bound = parsed.Bind("tls", "host", "port", "timeout", "bindAddress", "certificate", "privateKey", "trustRoots", "endpoint");
                var host = EndpointDescription.NonEmpty(bound, "tls", "host");
                var port = EndpointDescription.Port("tls", EndpointDescription.Required(bound, "tls", "port"));
                TimeSpan? timeout = bound.TryGetValue("timeout", out var t) ? EndpointDescription.Seconds("tls", "timeout", t) : null;
                var bind = bound.TryGetValue("bindAddress", out var ba) ? BindAddress("tls", ba) : null;
                if (bound.ContainsKey("endpoint"))
                {
                    throw new EndpointFormatException("tls: a nested endpoint= is not supported; TLS runs over TCP to host:port.");
                }
                var options = TlsClientOptions.ForHostname(host);
                if (bound.TryGetValue("trustRoots", out var roots))
                {
                    options.TrustRoots = LoadRoots("tls", "trustRoots", roots);
                }
                if (bound.TryGetValue("certificate", out var certificate))
                {
                    options.ClientCertificate = LoadCertificate("tls", certificate, bound.GetValueOrDefault("privateKey"));
                }
                else if (bound.ContainsKey("privateKey"))
                {
                    throw new EndpointFormatException("tls: privateKey needs certificate.");
                }
                return new HostnameEndpoint(Need<INetworkReactor>(reactor), host, port, timeout, bind, tls: options);
            }
            default:
                throw new EndpointFormatException($"Unknown endpoint type: '{parsed.Type}' (client types are tcp, unix, ssl and tls).");
        }
    }

    /// <summary>
    /// Connects <paramref name="endpoint"/> with a one-shot factory returning <paramref name="protocol"/> (Twisted's
    /// <c>connectProtocol</c>); the Deferred is the one <see cref="IStreamClientEndpoint.Connect"/> returns.
    /// </summary>
    public static Deferred<IProtocol> ConnectProtocol(IStreamClientEndpoint endpoint, IProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(protocol);
        return endpoint.Connect(new Factory(() => protocol) { Noisy = false });
    }

    /// <summary>Escapes <paramref name="value"/> for use as one field of a description (Twisted's <c>quoteStringArgument</c>).</summary>
    public static string QuoteStringArgument(string value) => EndpointDescription.Quote(value);

    private static (string Host, int Port, TimeSpan? Timeout, EndPoint? Bind, Dictionary<string, string> Extra) TcpFields(
        EndpointDescription parsed, string kind, params string[] extraNames)
    {
        // Twisted's _parseClientTCP: two positional fields are host and port; one is the host, or the port when host= is given.
        var arguments = parsed.Arguments;
        var keywords = new Dictionary<string, string>(parsed.Keywords, StringComparer.Ordinal);
        string[] allowed = ["host", "port", "timeout", "bindAddress", .. extraNames];
        foreach (var key in keywords.Keys)
        {
            if (Array.IndexOf(allowed, key) < 0)
            {
                throw new EndpointFormatException($"{kind}: unknown parameter '{key}'; expected one of {string.Join(", ", allowed)}.");
            }
        }
        string[] positional = arguments.Count switch
        {
            0 => [],
            1 => keywords.ContainsKey("host") ? ["port"] : ["host"],
            2 => ["host", "port"],
            _ => throw new EndpointFormatException($"{kind}: takes at most 2 positional fields (host, port) but {arguments.Count} were given."),
        };
        for (var i = 0; i < positional.Length; i++)
        {
            if (!keywords.TryAdd(positional[i], arguments[i]))
            {
                throw new EndpointFormatException($"{kind}: got multiple values for parameter '{positional[i]}'.");
            }
        }
        var host = EndpointDescription.NonEmpty(keywords, kind, "host");
        var port = EndpointDescription.Port(kind, EndpointDescription.Required(keywords, kind, "port"));
        TimeSpan? timeout = keywords.TryGetValue("timeout", out var t) ? EndpointDescription.Seconds(kind, "timeout", t) : null;
        var bind = keywords.TryGetValue("bindAddress", out var ba) ? BindAddress(kind, ba) : null;
        var extra = keywords.Where(kv => Array.IndexOf(extraNames, kv.Key) >= 0).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return (host, port, timeout, bind, extra);
    }

    private static IPEndPoint BindAddress(string kind, string value) =>
        IPAddress.TryParse(value, out var address)
            ? new IPEndPoint(address, 0)
            : throw new EndpointFormatException($"{kind}: bindAddress must be an IP address, not '{value}'.");

    private static SslProtocols SslMethod(string method) => method switch
    {
        "SSLv23_METHOD" or "TLS_METHOD" => SslProtocols.None,
        "TLSv1_2_METHOD" => SslProtocols.Tls12,
        "TLSv1_3_METHOD" => SslProtocols.Tls13,
        _ => throw new EndpointFormatException($"ssl: unsupported sslmethod '{method}' (use SSLv23_METHOD, TLS_METHOD, TLSv1_2_METHOD or TLSv1_3_METHOD)."),
    };

    private static X509Certificate2Collection LoadRoots(string kind, string name, string path)
    {
        try
        {
            return TlsClientOptions.LoadTrustRoots(path);
        }
        catch (Exception e) when (e is IOException or CryptographicException or ArgumentException or UnauthorizedAccessException)
        {
            throw new EndpointFormatException($"{kind}: cannot load {name} '{path}': {e.Message}", e);
        }
    }

    private static X509Certificate2 LoadCertificate(string kind, string certificate, string? privateKey)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certificate, privateKey);
        }
        catch (Exception e) when (e is IOException or CryptographicException or ArgumentException or UnauthorizedAccessException)
        {
            throw new EndpointFormatException($"{kind}: cannot load the client certificate '{certificate}': {e.Message}", e);
        }
    }

    private static T Need<T>(object reactor) where T : class =>
        reactor as T ?? throw new ArgumentException($"The reactor {reactor.GetType().Name} does not provide {typeof(T).Name}.", nameof(reactor));

}
