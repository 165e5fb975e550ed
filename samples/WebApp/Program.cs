// Seed 001's web application: a Resource tree with a page rendered from a Liquid template file, a response finished
// later (NotDoneYet), static files, and the same site over HTTPS with a certificate the program creates.
//   dotnet run --project samples/WebApp                 # http://127.0.0.1:8080/ and https://127.0.0.1:8443/
//   dotnet run --project samples/WebApp -- 0 0          # free ports (printed)
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AsyncCore;
using AsyncCore.Endpoints;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Web;

var httpPort = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8080;
var httpsPort = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8443;

// The certificate is made before the reactor runs: generating an RSA key takes long enough to stall a reactor.
var certificateDirectory = Directory.CreateTempSubdirectory("webapp-tls-");
var (keyPath, certPath) = SelfSigned.Create(certificateDirectory.FullName);

var templates = new Templates(Path.Combine(AppContext.BaseDirectory, "templates"));
templates.Preload(); // a syntax error fails here, not in a request

using var reactor = ReactorFactory.Create(); // EpollReactor on Linux; ASYNCCORE_REACTOR=eventloop to choose
var root = new Resource();
root.PutChild("", new IndexPage(templates));
root.PutChild("later", new LaterPage(reactor));
root.PutChild("static", new StaticFile(Path.Combine(AppContext.BaseDirectory, "wwwroot")));
var site = new Site(root, clock: reactor); // the clock runs the idle and header-read timeouts

reactor.CallWhenRunning(() => _ = Listen(reactor, site, httpPort, httpsPort, keyPath, certPath));
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    reactor.CallFromThread(() =>
    {
        if (reactor.Running && !reactor.Stopping)
        {
            reactor.Stop();
        }
    });
}
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
reactor.Run();
certificateDirectory.Delete(recursive: true);
return 0;

static async Deferred<int> Listen(IReactor reactor, Site site, int httpPort, int httpsPort, string keyPath, string certPath)
{
    try
    {
        var http = await Endpoint.ServerFromString(reactor, $"tcp:{httpPort}:interface=127.0.0.1").Listen(site);
        var https = await Endpoint.ServerFromString(reactor,
            $"ssl:{httpsPort}:interface=127.0.0.1:privateKey={Endpoint.QuoteStringArgument(keyPath)}:certKey={Endpoint.QuoteStringArgument(certPath)}").Listen(site);
        Console.WriteLine($"listening on http://127.0.0.1:{((IPEndPoint)http.GetHost()).Port}/ and https://127.0.0.1:{((IPEndPoint)https.GetHost()).Port}/ (Ctrl+C to stop)");
    }
    catch (Exception e)
    {
        Console.Error.WriteLine($"cannot listen: {e.Message}");
        reactor.Stop();
    }
    return 0;
}

/// <summary>GET /: the template page; the visitor's name comes from ?name= and is HTML-escaped by the template.</summary>
internal sealed class IndexPage(Templates templates) : Resource
{
    private static readonly Product[] s_products = [new("Teapot", 24.5m), new("Kettle", 39m), new("Cups & saucers", 12m)];

    protected override RenderResult RenderGet(Request request)
    {
        request.SetHeader("Content-Type", "text/html; charset=utf-8");
        return templates.Render("index", new { title = "AsyncCore shop", visitor = request.GetArg("name") ?? "visitor", products = s_products });
    }
}

internal sealed record Product(string Name, decimal Price);

/// <summary>GET /later: NotDoneYet, finished by a timer half a second later (unless the client leaves first).</summary>
internal sealed class LaterPage(IReactorTime clock) : Resource
{
    public override bool IsLeaf => true;

    protected override RenderResult RenderGet(Request request)
    {
        request.SetHeader("Content-Type", "text/plain; charset=utf-8");
        request.Write("started...\n");
        var finish = clock.CallLater(TimeSpan.FromMilliseconds(500), () =>
        {
            request.Write("finished half a second later\n");
            request.Finish();
        });
        _ = request.NotifyFinish().AddBoth(outcome =>
        {
            if (!outcome.Succeeded && finish.Active)
            {
                finish.Cancel(); // the client left: nobody to finish for
            }
            return true;
        });
        return RenderResult.NotDoneYet;
    }
}

/// <summary>A self-signed certificate for 127.0.0.1 and localhost, written as PEM files.</summary>
internal static class SelfSigned
{
    public static (string KeyPath, string CertPath) Create(string directory)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));
        var keyPath = Path.Combine(directory, "key.pem");
        var certPath = Path.Combine(directory, "cert.pem");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        return (keyPath, certPath);
    }
}
