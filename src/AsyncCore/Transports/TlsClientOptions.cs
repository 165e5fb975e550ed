using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace AsyncCore.Transports;

/// <summary>
/// How a TLS client checks the server and presents itself (Twisted's <c>optionsForClientTLS</c>). With a
/// <see cref="Hostname"/>, the name is sent as SNI and the server certificate must be valid for it and chain to
/// <see cref="TrustRoots"/> (or the system store).
/// </summary>
public sealed class TlsClientOptions
{
    /// <summary>The host name sent as SNI and checked against the certificate; null sends no SNI.</summary>
    public string? Hostname { get; set; }

    /// <summary>
    /// Whether the server certificate is checked. True by default; Twisted's legacy <c>ssl:</c> client string turns it off
    /// unless <c>caCertsDir</c> or <c>hostname</c> is given.
    /// </summary>
    public bool VerifyServer { get; set; } = true;

    /// <summary>The roots the server certificate must chain to; null uses the system store.</summary>
    public X509Certificate2Collection? TrustRoots { get; set; }

    /// <summary>The client certificate (with its private key), or null.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>The protocol versions allowed; <see cref="SslProtocols.None"/> lets the system choose.</summary>
    public SslProtocols EnabledProtocols { get; set; } = SslProtocols.None;

    /// <summary>A custom check of the server certificate; replaces the default.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>Application protocols offered in ALPN, or null.</summary>
    public IList<SslApplicationProtocol>? ApplicationProtocols { get; set; }

    /// <summary>Options that verify <paramref name="hostname"/> (Twisted's <c>optionsForClientTLS(hostname, trustRoot)</c>).</summary>
    public static TlsClientOptions ForHostname(string hostname, X509Certificate2Collection? trustRoots = null, X509Certificate2? clientCertificate = null) =>
        new() { Hostname = hostname ?? throw new ArgumentNullException(nameof(hostname)), TrustRoots = trustRoots, ClientCertificate = clientCertificate };

    /// <summary>Loads trust roots from a PEM file or from every <c>*.pem</c> file in a directory.</summary>
    /// <exception cref="ArgumentException">No certificate was found.</exception>
    public static X509Certificate2Collection LoadTrustRoots(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var roots = new X509Certificate2Collection();
        var files = Directory.Exists(path) ? Directory.GetFiles(path, "*.pem") : [path];
        foreach (var file in files)
        {
            roots.ImportFromPemFile(file);
        }
        if (roots.Count == 0)
        {
            throw new ArgumentException($"No PEM certificate found in {path}.", nameof(path));
        }
        return roots;
    }

    internal SslClientAuthenticationOptions ToAuthenticationOptions(string connectHost)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = Hostname ?? string.Empty,
            EnabledSslProtocols = EnabledProtocols,
            ApplicationProtocols = ApplicationProtocols?.ToList(),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (ClientCertificate is not null)
        {
            options.ClientCertificates = [ClientCertificate];
            options.LocalCertificateSelectionCallback = (_, _, _, _, _) => ClientCertificate;
        }
        if (ServerCertificateValidation is not null)
        {
            options.RemoteCertificateValidationCallback = ServerCertificateValidation;
        }
        else if (!VerifyServer)
        {
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        else if (TrustRoots is not null)
        {
            var roots = TrustRoots;
            var checkName = Hostname is not null;
            options.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is not null && ChainsTo(new X509Certificate2(certificate), roots, errors, checkName);
        }
        _ = connectHost;
        return options;
    }

    /// <summary>Validates <paramref name="certificate"/> against custom roots, keeping the name check of SslStream.</summary>
    internal static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection roots, SslPolicyErrors errors, bool hostnameChecked)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }
        if (hostnameChecked && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
