using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace AsyncCore.Transports;

/// <summary>How a TLS server authenticates itself and its clients (Twisted's <c>CertificateOptions</c> for servers).</summary>
public sealed class TlsServerOptions
{
    // The certificate and chain never change, so the context (its chain building) is made once and shared by every
    // connection, as SslStreamCertificateContext is meant to be used; a race on first use builds it twice, harmlessly.
    private SslStreamCertificateContext? _certificateContext;
    private TimeSpan _handshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Creates options for <paramref name="certificate"/>, which must carry its private key.</summary>
    /// <param name="certificate">The server certificate with its private key.</param>
    /// <param name="chain">Intermediate certificates sent with it (Twisted's <c>extraCertChain</c>), or null.</param>
    public TlsServerOptions(X509Certificate2 certificate, X509Certificate2Collection? chain = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("The server certificate has no private key.", nameof(certificate));
        }
        Certificate = certificate;
        Chain = chain;
    }

    /// <summary>The server certificate.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Intermediate certificates sent with it.</summary>
    public X509Certificate2Collection? Chain { get; }

    /// <summary>The protocol versions allowed; <see cref="SslProtocols.None"/> lets the system choose (TLS 1.2 and 1.3).</summary>
    public SslProtocols EnabledProtocols { get; set; } = SslProtocols.None;

    /// <summary>Asks clients for a certificate (and rejects clients without a valid one).</summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>The roots that client certificates must chain to; null uses the system store.</summary>
    public X509Certificate2Collection? ClientTrustRoots { get; set; }

    /// <summary>A custom check of the client certificate; replaces the default chain validation.</summary>
    public RemoteCertificateValidationCallback? ClientCertificateValidation { get; set; }

    /// <summary>Application protocols offered in ALPN (for example <c>h2</c>, <c>http/1.1</c>), or null.</summary>
    public IList<SslApplicationProtocol>? ApplicationProtocols { get; set; }

    /// <summary>
    /// How long a client has to complete the handshake once accepted (10 s by default); past it the connection is closed,
    /// so that clients which connect and send nothing cannot hold server sockets. <see cref="Timeout.InfiniteTimeSpan"/>
    /// waits forever (stopping the port or the reactor still closes the handshakes pending).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative (other than <see cref="Timeout.InfiniteTimeSpan"/>).</exception>
    public TimeSpan HandshakeTimeout
    {
        get => _handshakeTimeout;
        set
        {
            if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The handshake timeout must be positive, or Timeout.InfiniteTimeSpan.");
            }
            _handshakeTimeout = value;
        }
    }

    /// <summary>
    /// Loads the certificate and key from PEM files (Twisted's <c>ssl:</c> endpoint <c>certKey</c> and <c>privateKey</c>).
    /// When <paramref name="certificatePath"/> holds more than one certificate, the first is the server's and the rest form
    /// the chain.
    /// </summary>
    /// <param name="certificatePath">PEM file with the certificate (and maybe the chain).</param>
    /// <param name="privateKeyPath">PEM file with the private key; null when it is in <paramref name="certificatePath"/>.</param>
    /// <param name="extraChainPath">PEM file with more intermediate certificates, or null.</param>
    public static TlsServerOptions FromPemFiles(string certificatePath, string? privateKeyPath = null, string? extraChainPath = null)
    {
        ArgumentNullException.ThrowIfNull(certificatePath);
        var certificate = X509Certificate2.CreateFromPemFile(certificatePath, privateKeyPath);
        var chain = new X509Certificate2Collection();
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certificatePath);
        foreach (var extra in all.Skip(1))
        {
            chain.Add(extra);
        }
        if (extraChainPath is not null)
        {
            var extraChain = new X509Certificate2Collection();
            extraChain.ImportFromPemFile(extraChainPath);
            if (extraChain.Count == 0)
            {
                throw new ArgumentException($"The chain file {extraChainPath} holds no certificate.", nameof(extraChainPath));
            }
            chain.AddRange(extraChain);
        }
        return new TlsServerOptions(certificate, chain.Count > 0 ? chain : null);
    }

    internal SslServerAuthenticationOptions ToAuthenticationOptions()
    {
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = _certificateContext ??= SslStreamCertificateContext.Create(Certificate, Chain, offline: true),
            EnabledSslProtocols = EnabledProtocols,
            ClientCertificateRequired = RequireClientCertificate,
            ApplicationProtocols = ApplicationProtocols?.ToList(),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (ClientCertificateValidation is not null)
        {
            options.RemoteCertificateValidationCallback = ClientCertificateValidation;
        }
        else if (RequireClientCertificate && ClientTrustRoots is not null)
        {
            var roots = ClientTrustRoots;
            options.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is not null && TlsClientOptions.ChainsTo(new X509Certificate2(certificate), roots, errors, hostnameChecked: false);
        }
        else if (!RequireClientCertificate)
        {
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        return options;
    }
}
