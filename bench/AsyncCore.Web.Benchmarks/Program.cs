// Servers of bench/run-web.sh, pinned by the script:
//   asynccore PORT        AsyncCore.Web on the default reactor (EpollReactor on Linux): GET / -> "hello" (a leaf
//                         Resource), GET /page -> templates/page.liquid rendered with Fluid (about 10 KB); no access log
//                         (Kestrel's template and the twisted.web anchor log nothing per request)
//   kestrel-page PORT     Kestrel minimal API: GET / -> "hello", GET /page -> the same template, same engine and model
using AsyncCore;

using AsyncCore.Reactors;
using AsyncCore.Web;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

var mode = args.Length > 0 ? args[0] : "asynccore";
var port = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 9300;
var templates = new Templates(Path.Combine(AppContext.BaseDirectory, "templates"));
templates.Preload();
var model = PageModel.Create();

if (mode == "kestrel-page")
{
    var builder = WebApplication.CreateBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
    var app = builder.Build();
    app.MapGet("/", () => "hello");
    app.MapGet("/page", () => Results.Content(templates.Render("page", model), "text/html; charset=utf-8"));
    app.Run();
    return;
}

var reactor = ReactorFactory.Create();
var root = new Resource();
root.PutChild("", new Hello());
root.PutChild("page", new Page(templates, model));
var site = new Site(root, clock: reactor) { AccessLogger = NullLogger.Instance };
reactor.CallWhenRunning(() => _ = AsyncCore.Endpoints.Endpoint.ServerFromString(reactor, $"tcp:{port}:interface=127.0.0.1:backlog=1024").Listen(site));
reactor.Run();

internal sealed class Hello : Resource
{
    private static readonly byte[] s_hello = "hello"u8.ToArray();

    public override bool IsLeaf => true;

    protected override RenderResult RenderGet(Request request) => s_hello;
}

internal sealed class Page(Templates templates, PageModel model) : Resource
{
    public override bool IsLeaf => true;

    protected override RenderResult RenderGet(Request request)
    {
        request.SetHeader("Content-Type", "text/html; charset=utf-8");
        return templates.Render("page", model);
    }
}

internal sealed class PageModel
{
    public string Title { get; init; } = "";

    public IReadOnlyList<Item> Items { get; init; } = [];

    public static PageModel Create() => new()
    {
        Title = "Catalogue",
        Items = [.. Enumerable.Range(1, 100).Select(i => new Item(i, $"item {i}", $"the description of item number {i} & co", i * 1.25m))],
    };
}

internal sealed record Item(int Id, string Name, string Description, decimal Price);
