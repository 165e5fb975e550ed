using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AsyncCore.Endpoints;
using AsyncCore.Reactor;
using AsyncCore.Reactors;

namespace AsyncCore.Tests.Endpoints;

/// <summary>
/// The description-string grammar (Twisted's test_endpoints.py ParserTests, ServerStringTests, ClientStringTests).
/// Building an endpoint does not touch the reactor, so a reactor that never runs is enough.
/// </summary>
public sealed class EndpointGrammarTests : IDisposable
{
    private readonly EventLoopReactor _reactor = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("asynccore-endpoints-").FullName;

    public void Dispose()
    {
        _reactor.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    // ---- Parser ----

    [Fact]
    public void Parse_PositionalAndKeywordFields_AreSeparated()
    {
        var d = EndpointDescription.Parse("tcp:80:interface=127.0.0.1:backlog=5");
        Assert.Equal("tcp", d.Type);
        Assert.Equal(["80"], d.Arguments);
        Assert.Equal("127.0.0.1", d.Keywords["interface"]);
        Assert.Equal("5", d.Keywords["backlog"]);
    }

    [Fact]
    public void Parse_EscapedColon_StaysInTheField()
    {
        var d = EndpointDescription.Parse(@"unix:foo\:bar\:baz");
        Assert.Equal(["foo:bar:baz"], d.Arguments);
    }

    [Fact]
    public void Parse_EqualsInsideAValue_NeedsNoEscape()
    {
        var d = EndpointDescription.Parse("unix:address=foo=bar");
        Assert.Equal("foo=bar", d.Keywords["address"]);
    }

    [Fact]
    public void Parse_EscapedEqualsInAPositionalField_IsNotAKeyword()
    {
        var d = EndpointDescription.Parse(@"unix:a\=b");
        Assert.Equal(["a=b"], d.Arguments);
        Assert.Empty(d.Keywords);
    }

    [Fact]
    public void Parse_EscapedBackslash_IsOneBackslash()
    {
        var d = EndpointDescription.Parse(@"unix:C\\dir\:x");
        Assert.Equal([@"C\dir:x"], d.Arguments);
    }

    [Fact]
    public void Parse_BackslashBeforeAnOrdinaryCharacter_KeepsTheCharacter()
    {
        Assert.Equal(["abc"], EndpointDescription.Parse(@"unix:a\bc").Arguments);
    }

    [Fact]
    public void Parse_EscapedIPv6InterfaceValue_IsUnescaped()
    {
        var d = EndpointDescription.Parse(@"tcp:80:interface=\:\:1");
        Assert.Equal("::1", d.Keywords["interface"]);
    }

    [Fact]
    public void Parse_EmptyFields_AreKept()
    {
        var d = EndpointDescription.Parse("tcp::x:");
        Assert.Equal(["", "x", ""], d.Arguments);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData(@"tcp:80\", "backslash")]
    [InlineData(":80", "no endpoint type")]
    [InlineData("tcp:80:backlog=1:backlog=2", "given twice")]
    [InlineData("tcp:80:=5", "Empty parameter name")]
    public void Parse_MalformedDescription_ThrowsWithAClearMessage(string description, string expected)
    {
        var error = Assert.Throws<EndpointFormatException>(() => EndpointDescription.Parse(description));
        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a:b", @"a\:b")]
    [InlineData(@"c:\x", @"c\:\\x")]
    [InlineData("k=v", "k=v")]
    public void QuoteStringArgument_EscapesBackslashesAndColons_AndRoundTrips(string value, string quoted)
    {
        // As in Twisted, '=' is not escaped: it needs no escape inside a keyword value.
        Assert.Equal(quoted, Endpoint.QuoteStringArgument(value));
        Assert.Equal(value, EndpointDescription.Parse("unix:address=" + Endpoint.QuoteStringArgument(value)).Keywords["address"]);
    }

    // ---- Server strings ----

    [Fact]
    public void ServerFromString_Tcp_Defaults()
    {
        var e = Assert.IsType<TcpServerEndpoint>(Endpoint.ServerFromString(_reactor, "tcp:80"));
        Assert.Equal((80, 50, ""), (e.Port, e.Backlog, e.InterfaceAddress));
    }

    [Fact]
    public void ServerFromString_TcpWithInterfaceAndBacklog_ParsesBoth()
    {
        var e = Assert.IsType<TcpServerEndpoint>(Endpoint.ServerFromString(_reactor, "tcp:8080:interface=127.0.0.1:backlog=50"));
        Assert.Equal((8080, 50, "127.0.0.1"), (e.Port, e.Backlog, e.InterfaceAddress));
    }

    [Fact]
    public void ServerFromString_TcpPortAsKeyword_IsAccepted()
    {
        var e = Assert.IsType<TcpServerEndpoint>(Endpoint.ServerFromString(_reactor, "tcp:port=1234:backlog=3"));
        Assert.Equal((1234, 3), (e.Port, e.Backlog));
    }

    [Fact]
    public void ServerFromString_KeywordBeforePositional_StillBindsThePort()
    {
        var e = Assert.IsType<TcpServerEndpoint>(Endpoint.ServerFromString(_reactor, "tcp:interface=10.0.0.1:99"));
        Assert.Equal((99, "10.0.0.1"), (e.Port, e.InterfaceAddress));
    }

    [Fact]
    public void ServerFromString_Tcp6_DefaultsToAllIPv6Addresses()
    {
        var e = Assert.IsType<TcpServerEndpoint>(Endpoint.ServerFromString(_reactor, "tcp6:port=8443"));
        Assert.Equal((8443, "::"), (e.Port, e.InterfaceAddress));
    }

    [Fact]
    public void ServerFromString_Unix_Defaults()
    {
        // Twisted's test_simpleUNIX: the PID lock file is on unless lockfile=0.
        var e = Assert.IsType<UnixServerEndpoint>(Endpoint.ServerFromString(_reactor, "unix:/var/run/app.sock"));
        Assert.Equal(("/var/run/app.sock", 50, 438, true), (e.Path, e.Backlog, e.Mode, e.WantPid));
    }

    [Fact]
    public void ServerFromString_UnixModeIsOctal()
    {
        var e = Assert.IsType<UnixServerEndpoint>(Endpoint.ServerFromString(_reactor, "unix:/tmp/s:mode=660:backlog=7:lockfile=0"));
        Assert.Equal((Convert.ToInt32("660", 8), 7, false), (e.Mode, e.Backlog, e.WantPid));
    }

    [Fact]
    public void ServerFromString_UnixLockfile1_WantsThePidLockFile()
    {
        // Twisted's test_wantPIDUNIX.
        var e = Assert.IsType<UnixServerEndpoint>(Endpoint.ServerFromString(_reactor, "unix:/var/foo/bar:lockfile=1"));
        Assert.True(e.WantPid);
    }

    [Theory]
    [InlineData("unix:/tmp/s:mode=9z", "octal")]
    [InlineData("unix:/tmp/s:lockfile=maybe", "0 or 1")]
    [InlineData("unix:mode=666", "missing required parameter 'address'")]
    public void ServerFromString_BadUnixFields_Throw(string description, string expected)
    {
        var error = Assert.Throws<EndpointFormatException>(() => Endpoint.ServerFromString(_reactor, description));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerFromString_SslWithSeparateKeyAndCertificate_LoadsThem()
    {
        var (cert, key) = WritePem("server");
        var e = Assert.IsType<SslServerEndpoint>(Endpoint.ServerFromString(_reactor,
            $"ssl:443:privateKey={Endpoint.QuoteStringArgument(key)}:certKey={Endpoint.QuoteStringArgument(cert)}"));
        Assert.Equal(443, e.Port);
        Assert.Equal("CN=server", e.Options.Certificate.Subject);
        Assert.True(e.Options.Certificate.HasPrivateKey);
    }

    [Fact]
    public void ServerFromString_SslWithCombinedPemFile_UsesItForBoth()
    {
        var (cert, key) = WritePem("combined");
        var combined = Path.Combine(_dir, "combined.pem");
        File.WriteAllText(combined, File.ReadAllText(cert) + "\n" + File.ReadAllText(key));
        var e = Assert.IsType<SslServerEndpoint>(Endpoint.ServerFromString(_reactor, $"ssl:0:privateKey={combined}"));
        Assert.Equal("CN=combined", e.Options.Certificate.Subject);
    }

    [Fact]
    public void ServerFromString_SslMissingFiles_NamesThePath()
    {
        var error = Assert.Throws<EndpointFormatException>(() => Endpoint.ServerFromString(_reactor, "ssl:443:privateKey=/nonexistent/key.pem"));
        Assert.Contains("/nonexistent/key.pem", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerFromString_SslUnknownMethod_Throws()
    {
        var (cert, key) = WritePem("m");
        var error = Assert.Throws<EndpointFormatException>(() => Endpoint.ServerFromString(_reactor, $"ssl:443:privateKey={key}:certKey={cert}:sslmethod=SSLv2_METHOD"));
        Assert.Contains("sslmethod", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("foo:80", "Unknown endpoint type: 'foo'")]
    [InlineData("TCP:80", "Unknown endpoint type: 'TCP'")]
    [InlineData("8080", "Unknown endpoint type: '8080'")]
    [InlineData("tcp:abc", "port must be an integer, not 'abc'")]
    [InlineData("tcp:70000", "port must be between 0 and 65535")]
    [InlineData("tcp:80:bogus=1", "unknown parameter 'bogus'")]
    [InlineData("tcp:80:port=81", "multiple values for parameter 'port'")]
    [InlineData("tcp:80:0.0.0.0:50:extra", "at most 3 positional fields")]
    [InlineData("tcp", "missing required parameter 'port'")]
    [InlineData("tcp:80:backlog=-1", "backlog must be between")]
    public void ServerFromString_Malformed_ThrowsWithAClearMessage(string description, string expected)
    {
        var error = Assert.Throws<EndpointFormatException>(() => Endpoint.ServerFromString(_reactor, description));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    // ---- Client strings ----

    [Fact]
    public void ClientFromString_TcpPositionalHostAndPort()
    {
        var e = Assert.IsType<TcpClientEndpoint>(Endpoint.ClientFromString(_reactor, "tcp:example.com:80"));
        Assert.Equal(("example.com", 80, TimeSpan.FromSeconds(30)), (e.Host, e.Port, e.Timeout));
    }

    [Fact]
    public void ClientFromString_TcpKeywords()
    {
        var e = Assert.IsType<TcpClientEndpoint>(Endpoint.ClientFromString(_reactor, "tcp:host=example.com:port=1234:timeout=7:bindAddress=10.0.0.3"));
        Assert.Equal(("example.com", 1234, TimeSpan.FromSeconds(7)), (e.Host, e.Port, e.Timeout));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.0.3"), 0), e.BindAddress);
    }

    [Fact]
    public void ClientFromString_TcpHostPositionalPortKeyword()
    {
        var e = Assert.IsType<TcpClientEndpoint>(Endpoint.ClientFromString(_reactor, "tcp:example.com:port=1234"));
        Assert.Equal(("example.com", 1234), (e.Host, e.Port));
    }

    [Fact]
    public void ClientFromString_TcpPortPositionalHostKeyword()
    {
        var e = Assert.IsType<TcpClientEndpoint>(Endpoint.ClientFromString(_reactor, "tcp:1234:host=example.com"));
        Assert.Equal(("example.com", 1234), (e.Host, e.Port));
    }

    [Fact]
    public void ClientFromString_TypeIsCaseInsensitive()
    {
        var e = Assert.IsType<TcpClientEndpoint>(Endpoint.ClientFromString(_reactor, "TCP:host=a:port=1"));
        Assert.Equal("a", e.Host);
    }

    [Fact]
    public void ClientFromString_EscapedIPv6Host_IsUnescaped()
    {
        var e = Assert.IsType<TcpClientEndpoint>(Endpoint.ClientFromString(_reactor, @"tcp:host=\:\:1:port=80"));
        Assert.Equal("::1", e.Host);
    }

    [Fact]
    public void ClientFromString_Unix_PositionalAndKeyword()
    {
        var a = Assert.IsType<UnixClientEndpoint>(Endpoint.ClientFromString(_reactor, "unix:/var/foo/bar"));
        Assert.Equal("/var/foo/bar", a.Path);
        Assert.False(a.CheckPid);
        var b = Assert.IsType<UnixClientEndpoint>(Endpoint.ClientFromString(_reactor, "unix:path=/var/foo/bar:timeout=9:lockfile=0"));
        Assert.Equal(("/var/foo/bar", TimeSpan.FromSeconds(9), false), (b.Path, b.Timeout, b.CheckPid));
        var c = Assert.IsType<UnixClientEndpoint>(Endpoint.ClientFromString(_reactor, "unix:/var/foo/bar:lockfile=1:timeout=9"));
        Assert.True(c.CheckPid);
    }

    [Fact]
    public void ClientFromString_SslWithoutVerificationFields_DoesNotVerify()
    {
        var e = Assert.IsType<SslClientEndpoint>(Endpoint.ClientFromString(_reactor, "ssl:example.net:4321"));
        Assert.Equal(("example.net", 4321), (e.Host, e.Port));
        Assert.False(e.Options.VerifyServer);
    }

    [Fact]
    public void ClientFromString_SslWithHostnameAndRoots_Verifies()
    {
        var (cert, key) = WritePem("ca");
        var e = Assert.IsType<SslClientEndpoint>(Endpoint.ClientFromString(_reactor,
            $"ssl:host=example.net:port=4321:hostname=example.net:caCertsDir={_dir}:certKey={cert}:privateKey={key}"));
        Assert.True(e.Options.VerifyServer);
        Assert.Equal("example.net", e.Options.Hostname);
        Assert.NotNull(e.Options.TrustRoots);
        Assert.True(e.Options.ClientCertificate!.HasPrivateKey);
    }

    [Fact]
    public void ClientFromString_Tls_IsAHostnameEndpointThatVerifiesTheHost()
    {
        var e = Assert.IsType<HostnameEndpoint>(Endpoint.ClientFromString(_reactor, "tls:example.com:443:timeout=5"));
        Assert.Equal(("example.com", 443, TimeSpan.FromSeconds(5)), (e.Host, e.Port, e.Timeout));
        Assert.Equal("example.com", e.Tls!.Hostname);
        Assert.True(e.Tls.VerifyServer);
    }

    [Theory]
    [InlineData("tcp:host=a", "missing required parameter 'port'")]
    [InlineData("tcp:port=1", "missing required parameter 'host'")]
    [InlineData("tcp:a:1:2", "at most 2 positional fields")]
    [InlineData("tcp:a:1:host=b", "multiple values for parameter 'host'")]
    [InlineData("tcp:a:1:timeout=-1", "non-negative number of seconds")]
    [InlineData("tcp:a:1:bindAddress=nowhere", "bindAddress must be an IP address")]
    [InlineData("tcp:a:1:colour=red", "unknown parameter 'colour'")]
    [InlineData("tcp::80", "host cannot be empty")]
    [InlineData("tls:example.com:443:color=blue", "unknown parameter 'color'")]
    [InlineData("tls:example.com:443:endpoint=tcp\\:x\\:1", "not supported")]
    [InlineData("tls:example.com", "missing required parameter 'port'")]
    [InlineData("ssl:a:1:privateKey=k.pem", "privateKey needs certKey")]
    [InlineData("gopher:a:70", "Unknown endpoint type: 'gopher'")]
    public void ClientFromString_Malformed_ThrowsWithAClearMessage(string description, string expected)
    {
        var error = Assert.Throws<EndpointFormatException>(() => Endpoint.ClientFromString(_reactor, description));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerFromString_ReactorWithoutTheCapability_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => Endpoint.ServerFromString(new object(), "tcp:80"));
    }

    [Fact]
    public void HostnameEndpoint_Interleave_AlternatesFamiliesStartingWithIPv6()
    {
        var ordered = HostnameEndpoint.Interleave([IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2"), IPAddress.Parse("::1"), IPAddress.Parse("10.0.0.1")]);
        Assert.Equal(["::1", "10.0.0.1", "10.0.0.2"], ordered.Select(a => a.ToString()));
    }

    private (string Certificate, string Key) WritePem(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Path.Combine(_dir, name + ".crt.pem");
        var keyPath = Path.Combine(_dir, name + ".key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }
}
