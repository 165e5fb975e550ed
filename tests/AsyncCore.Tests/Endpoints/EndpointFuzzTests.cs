using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using AsyncCore.Endpoints;
using AsyncCore.Reactors;

namespace AsyncCore.Tests.Endpoints;

/// <summary>
/// Random description strings: each gives an endpoint or <see cref="EndpointFormatException"/>, never another exception
/// (issue 18). Building endpoints does not touch the reactor, so it never runs.
/// </summary>
public sealed class EndpointFuzzTests : IDisposable
{
    private static readonly string[] s_types = ["tcp", "tcp6", "unix", "ssl", "tls", "TCP", "Unix", "SSL", "TLS", "udp", "", "tcp=1", "unix="];

    private static readonly string[] s_keys =
    [
        "port", "host", "interface", "backlog", "mode", "lockfile", "timeout", "bindAddress", "address", "path", "privateKey", "certKey",
        "sslmethod", "extraCertChain", "dhParameters", "caCertsDir", "hostname", "certificate", "trustRoots", "endpoint", "", "x", "Port",
    ];

    private static readonly string[] s_values =
    [
        "", "0", "1", "-1", "80", "65535", "65536", "666", "0600", "7777", "10000", "37777777777", "77777777777", "999999999999999999999",
        "-2147483648", "2147483647", "2147483648", "1e20", "1e308", "1e309", "-0", "0.5", "NaN", "Infinity", "-Infinity", "0x10", "+5", " 5",
        "127.0.0.1", "::1", "::", "0.0.0.0", "localhost", "example.com", "true", "false", "yes", "no", "True", "maybe",
        "TLSv1_2_METHOD", "TLS_METHOD", "SSLv2_METHOD", "tcp:x:1", "/nonexistent/file.pem", "/nonexistent", ".", "\u00e9\u00e9", "a\0b",
    ];

    private const string Characters = ":=\\/.-_ 0123456789aZ\u00e9\0\t";

    private readonly EventLoopReactor _reactor = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("asynccore-endpoint-fuzz-").FullName;
    private readonly string[] _files;

    public EndpointFuzzTests()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=fuzz", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var cert = Path.Combine(_dir, "cert.pem");
        var privateKey = Path.Combine(_dir, "key.pem");
        var garbage = Path.Combine(_dir, "garbage.pem");
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        File.WriteAllText(privateKey, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(garbage, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        _files = [cert, privateKey, garbage, _dir, Path.Combine(_dir, "missing.pem"), Path.Combine(_dir, new string('l', 300))];
    }

    public void Dispose()
    {
        _reactor.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void RandomDescriptions_GiveAnEndpointOrEndpointFormatException()
    {
        var count = Fuzz.Run(nameof(EndpointFuzzTests), fixedSeed: 18, random =>
        {
            var description = Description(random);
            Check(description, d => Endpoint.ServerFromString(_reactor, d));
            Check(description, d => Endpoint.ClientFromString(_reactor, d));
        });
        Assert.True(count > 0);
    }

    private static void Check(string description, Func<string, object> build)
    {
        try
        {
            Assert.NotNull(build(description));
        }
        catch (EndpointFormatException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"'{Escape(description)}' threw {e.GetType().Name}: {e.Message}", e);
        }
    }

    private string Description(Random random)
    {
        if (random.Next(20) == 0)
        {
            return Noise(random, random.Next(0, 30));
        }
        var text = new StringBuilder(Pick(random, s_types));
        var fields = random.Next(0, 6);
        for (var i = 0; i < fields; i++)
        {
            text.Append(':');
            if (random.Next(3) > 0)
            {
                text.Append(random.Next(8) == 0 ? Noise(random, random.Next(0, 5)) : Pick(random, s_keys)).Append('=');
            }
            text.Append(Value(random));
        }
        if (random.Next(10) == 0)
        {
            text.Append(random.Next(2) == 0 ? "\\" : ":");
        }
        return text.ToString();
    }

    private string Value(Random random) => random.Next(10) switch
    {
        0 or 1 => Endpoint.QuoteStringArgument(Pick(random, _files)),
        2 => Noise(random, random.Next(0, 12)),
        3 => random.Next(int.MinValue, int.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
        4 => new string('9', random.Next(1, 40)),
        5 => new string('x', random.Next(100, 300)),
        _ => random.Next(4) == 0 ? Endpoint.QuoteStringArgument(Pick(random, s_values)) : Pick(random, s_values),
    };

    private static string Noise(Random random, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = Characters[random.Next(Characters.Length)];
        }
        return new string(chars);
    }

    private static string Pick(Random random, string[] from) => from[random.Next(from.Length)];

    private static string Escape(string description) => description.Replace("\0", "\\0", StringComparison.Ordinal);
}
