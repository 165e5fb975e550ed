using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AsyncCore.Transports;

namespace AsyncCore.Mail.Tests;

/// <summary>A self-signed certificate for "localhost", made once per test run, for STARTTLS tests.</summary>
internal static class TestCertificate
{
    public static X509Certificate2 Localhost { get; } = Make("localhost");

    public static TlsServerOptions Server => new(Localhost);

    public static TlsClientOptions Client => TlsClientOptions.ForHostname("localhost", [Localhost]);

    private static X509Certificate2 Make(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Writes the certificate and its key as PEM files (for peers such as aiosmtpd and swaks).</summary>
    public static (string Certificate, string Key) WritePem(string directory)
    {
        var certPath = Path.Combine(directory, "localhost.crt.pem");
        var keyPath = Path.Combine(directory, "localhost.key.pem");
        File.WriteAllText(certPath, Localhost.ExportCertificatePem());
        File.WriteAllText(keyPath, Localhost.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }
}
