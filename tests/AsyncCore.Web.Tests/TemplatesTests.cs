using System.Text;
using AsyncCore.InMemory;
using Fluid;

namespace AsyncCore.Web.Tests;

public sealed class TemplatesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("asynccore-templates-").FullName;

    public TemplatesTests()
    {
        Write("page.liquid", "<h1>{{ title }}</h1>{% for item in items %}<li>{{ item.Name }}</li>{% endfor %}{% include 'footer' %}");
        Write("footer.liquid", "<footer>{{ title | upcase }}</footer>");
        Write("raw.liquid", "{{ html | raw }}|{{ html }}");
        Write("broken.liquid", "{% if %}");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(_directory)!, "outside-" + Path.GetFileName(_directory) + ".liquid"), "SECRET");
    }

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        File.Delete(Path.Combine(Path.GetDirectoryName(_directory)!, "outside-" + Path.GetFileName(_directory) + ".liquid"));
    }

    private void Write(string name, string text) => File.WriteAllText(Path.Combine(_directory, name), text);

    public sealed record Item(string Name);

    [Fact]
    public void Render_ModelPropertiesLoopsAndIncludes_AreHtmlEscaped()
    {
        var templates = new Templates(_directory);
        var html = templates.Render("page", new Dictionary<string, object?>
        {
            ["title"] = "Tom & <Jerry> «é»",
            ["items"] = new[] { new Item("a<b"), new Item("c\"d") },
        });
        Assert.Equal("<h1>Tom &amp; &lt;Jerry&gt; «é»</h1><li>a&lt;b</li><li>c&quot;d</li><footer>TOM &amp; &lt;JERRY&gt; «É»</footer>", html);
    }

    [Fact]
    public async Task Render_WithAnInclude_OnAReactorThread_DoesNotDeadlock()
    {
        // Fluid's include awaits a file read; on the reactor thread that await must not wait for the reactor itself.
        var templates = new Templates(_directory);
        using var janitor = new AsyncCore.Testing.TestJanitor("templates on the reactor");
        var html = await AsyncCore.Testing.ReactorTestRunner.RunAsync(
            reactor => reactor.DeferLater(TimeSpan.Zero, () => templates.Render("page", new Dictionary<string, object?> { ["title"] = "t", ["items"] = Array.Empty<Item>() })),
            janitor, TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("<h1>t</h1><footer>T</footer>", html);
    }

    [Fact]
    public void Render_ARecordModel_ReadsItsProperties()
    {
        Write("item.liquid", "{{ Name }}");
        Assert.Equal("x&lt;", new Templates(_directory).Render("item.liquid", new Item("x<")));
    }

    [Fact]
    public void Raw_OptsOutOfEscaping_AndNullEncoder_EscapesNothing()
    {
        var model = new Dictionary<string, object?> { ["html"] = "<b>" };
        Assert.Equal("<b>|&lt;b&gt;", new Templates(_directory).Render("raw", model));
        Assert.Equal("<b>|<b>", new Templates(_directory) { Encoder = NullEncoder.Default }.Render("raw", model));
    }

    [Fact]
    public void Get_IsCached_UntilTheFileChanges()
    {
        var templates = new Templates(_directory);
        var first = templates.Get("footer");
        Assert.Same(first, templates.Get("footer.liquid"));
        Write("footer.liquid", "changed {{ title }}");
        File.SetLastWriteTimeUtc(Path.Combine(_directory, "footer.liquid"), DateTime.UtcNow.AddMinutes(1));
        Assert.NotSame(first, templates.Get("footer"));
        Assert.Equal("changed t", templates.Render("footer", new Dictionary<string, object?> { ["title"] = "t" }));
    }

    [Fact]
    public void Missing_OrOutsideTheDirectory_IsNotFound()
    {
        var templates = new Templates(_directory);
        Assert.Throws<FileNotFoundException>(() => templates.Render("missing"));
        Assert.Throws<FileNotFoundException>(() => templates.Render("../outside-" + Path.GetFileName(_directory)));
        Assert.Throws<FileNotFoundException>(() => templates.Render(Path.Combine(Path.GetDirectoryName(_directory)!, "outside-" + Path.GetFileName(_directory) + ".liquid")));
    }

    [Fact]
    public void Broken_ThrowsParseException_AndPreloadFindsIt()
    {
        var templates = new Templates(_directory);
        Assert.Throws<ParseException>(() => templates.Render("broken"));
        Assert.Throws<ParseException>(templates.Preload);
        File.Delete(Path.Combine(_directory, "broken.liquid"));
        templates.Preload();
    }

    [Fact]
    public void InAResource_TheRenderedPageIsTheResponse()
    {
        var templates = new Templates(_directory);
        var root = new Resource();
        root.PutChild("", new TemplatePage(templates));
        var transport = new StringTransport();
        var channel = new Site(root).BuildProtocol(null)!;
        channel.MakeConnection(transport);
        channel.DataReceived("GET /?title=%3Cscript%3E HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        var response = Assert.Single(HttpResponse.ParseAll(transport.Value()));
        Assert.Equal("text/html; charset=utf-8", response.Header("Content-Type"));
        Assert.StartsWith("<h1>&lt;script&gt;</h1>", response.Body, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetByteCount(response.Body).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
    }

    private sealed class TemplatePage(Templates templates) : Resource
    {
        protected override RenderResult RenderGet(Request request)
        {
            request.SetHeader("Content-Type", "text/html; charset=utf-8");
            return templates.Render("page", new Dictionary<string, object?> { ["title"] = request.GetArg("title"), ["items"] = Array.Empty<Item>() });
        }
    }
}
