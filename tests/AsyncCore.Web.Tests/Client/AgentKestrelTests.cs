using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AsyncCore.Testing;
using AsyncCore.Transports;
using AsyncCore.Web.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Web.Tests.Client;

using HttpResponse = AsyncCore.Web.Client.HttpResponse;

/// <summary>The HTTP client against a real server: a Kestrel minimal API started by the test, over HTTP and HTTPS.</summary>
public sealed class AgentKestrelTests : ReactorTestBase
{
    /// <summary>A self-signed certificate for localhost and 127.0.0.1 (its own root).</summary>
    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }

    /// <summary>Starts Kestrel on 127.0.0.1 with an HTTP and an HTTPS port; returns the app and both base URLs.</summary>
    private static async Task<(WebApplication App, string Http, string Https)> StartKestrel(X509Certificate2 certificate, Task? abortWhen = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate));
        });
        var app = builder.Build();
        app.MapGet("/hello", () => "hello from kestrel");
        app.MapGet("/connection", (HttpContext context) => context.Connection.Id);
        app.MapPost("/echo", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body).ConfigureAwait(false);
            return Results.Bytes(body.ToArray(), "application/octet-stream");
        });
        app.MapGet("/chunked", async (HttpContext context) =>
        {
            // No length and flushed pieces: Kestrel answers with Transfer-Encoding: chunked.
            for (var i = 0; i < 5; i++)
            {
                await context.Response.WriteAsync($"piece{i};").ConfigureAwait(false);
                await context.Response.Body.FlushAsync().ConfigureAwait(false);
            }
        });
        app.MapGet("/redirect", () => Results.Redirect("/hello"));
        app.MapGet("/abort", async (HttpContext context) =>
        {
            context.Response.ContentLength = 1000;
            await context.Response.WriteAsync("partial").ConfigureAwait(false);
            await context.Response.Body.FlushAsync().ConfigureAwait(false);
            // Kestrel aborts with a RST, which drops what the client has not read yet: the test lets it go on once it
            // has the response's head.
            await (abortWhen ?? Task.CompletedTask).ConfigureAwait(false);
            context.Abort();
        });
        await app.StartAsync().ConfigureAwait(false);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return (app, addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)), addresses.First(a => a.StartsWith("https://", StringComparison.Ordinal)));
    }

    private static async Task<bool> Stop(WebApplication app)
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        return true;
    }

    [Fact]
    public Task Kestrel_Http_KeepAliveChunkedPostRedirectAndAbort() => RunOnReactor(async reactor =>
    {
        using var certificate = SelfSigned();
        var headReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (app, http, _) = await Deferred.FromTask(StartKestrel(certificate, headReceived.Task));
        try
        {
            var agent = new Agent(reactor, options: new AgentOptions { MaxRedirects = 3 });

            var connections = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                connections.Add(await (await agent.Get(http + "/connection")).ReadBodyText());
            }
            var hello = await (await agent.Get(http + "/hello")).ReadBodyText();
            var chunked = await agent.Get(http + "/chunked");
            var pieces = await chunked.ReadBodyText();
            var echoed = await (await agent.Post(http + "/echo", new byte[100_000])).ReadBody();
            var redirected = await agent.Get(http + "/redirect");
            var redirectedText = await redirected.ReadBodyText();
            var madeBeforeAbort = agent.Pool.ConnectionsMade;
            var aborted = await agent.Get(http + "/abort");
            headReceived.SetResult();
            var abortFailure = await aborted.ReadBody().AddBoth(outcome => outcome.Failure?.Value);

            Assert.Single(connections.Distinct()); // Kestrel saw one connection for the three requests.
            Assert.Equal(1, madeBeforeAbort); // and the pool made one for everything up to /abort.
            Assert.Equal("hello from kestrel", hello);
            Assert.Equal(("chunked", (long?)null), (chunked.Headers.Get("Transfer-Encoding"), chunked.Length));
            Assert.Equal("piece0;piece1;piece2;piece3;piece4;", pieces);
            Assert.Equal(100_000, echoed.Length);
            Assert.Equal((200, "hello from kestrel", 302), (redirected.Code, redirectedText, redirected.PreviousResponse!.Code));
            Assert.Equal(1000, aborted.Length);
            Assert.IsType<ResponseFailedException>(abortFailure);
            await agent.Pool.CloseCachedConnections();
        }
        finally
        {
            await Deferred.FromTask(Stop(app));
        }
        return true;
    });

    [Fact]
    public Task Kestrel_Https_SelfSignedCertificateTrusted_AndConnectionReused() => RunOnReactor(async reactor =>
    {
        using var certificate = SelfSigned();
        var (app, _, https) = await Deferred.FromTask(StartKestrel(certificate));
        try
        {
            var roots = new X509Certificate2Collection { X509CertificateLoader.LoadCertificate(certificate.RawData) };
            var trusting = new Agent(reactor, options: new AgentOptions { TlsPolicy = (host, _) => TlsClientOptions.ForHostname(host, roots) });
            var verifying = new Agent(reactor);

            var first = await (await trusting.Get(https + "/connection")).ReadBodyText();
            var second = await (await trusting.Get(https + "/connection")).ReadBodyText();
            var hello = await (await trusting.Get(https + "/hello")).ReadBodyText();
            var refused = await verifying.Get(https + "/hello").AddBoth(outcome => outcome.Failure?.Value);

            Assert.Equal(first, second);
            Assert.Equal("hello from kestrel", hello);
            Assert.Equal(1, trusting.Pool.ConnectionsMade);
            Assert.NotNull(refused); // The system roots do not trust the self-signed certificate.
            Assert.IsNotType<HttpResponse>(refused);
            await trusting.Pool.CloseCachedConnections();
        }
        finally
        {
            await Deferred.FromTask(Stop(app));
        }
        return true;
    });
}
