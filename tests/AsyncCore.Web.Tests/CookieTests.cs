using System.Text;
using AsyncCore.InMemory;

namespace AsyncCore.Web.Tests;

public sealed class CookieTests
{
    private sealed class CookieJar(Action<Request> render) : Resource
    {
        protected override RenderResult RenderGet(Request request)
        {
            render(request);
            return "ok";
        }
    }

    /// <summary>Serves one GET with <paramref name="render"/>; returns the response's raw header lines.</summary>
    private static string[] Get(Action<Request> render, string extraHeaders = "")
    {
        var root = new Resource();
        root.PutChild("c", new CookieJar(render));
        var transport = new StringTransport();
        var channel = new Site(root).BuildProtocol(null)!;
        channel.MakeConnection(transport);
        channel.DataReceived(Encoding.ASCII.GetBytes("GET /c HTTP/1.1\r\nHost: x\r\n" + extraHeaders + "\r\n"));
        var text = Encoding.Latin1.GetString(transport.Value());
        return text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
    }

    [Fact]
    public void Cookies_FromEveryCookieField_QuotesRemoved_FirstValueWins()
    {
        IReadOnlyDictionary<string, string>? seen = null;
        Get(r => seen = r.Cookies, "Cookie: a=1; b=\"two\";c=x=y\r\nCookie: a=3; novalue; =empty\r\n");
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "two", ["c"] = "x=y" }, seen);
    }

    [Fact]
    public void GetCookie_Missing_IsNull_AndNoCookieHeader_IsEmpty()
    {
        string? missing = "?";
        var count = -1;
        Get(r => (missing, count) = (r.GetCookie("a"), r.Cookies.Count));
        Assert.Null(missing);
        Assert.Equal(0, count);
    }

    [Fact]
    public void AddCookie_EveryAttribute_OneSetCookieFieldEach()
    {
        var lines = Get(r =>
        {
            r.AddCookie("session", "abc123", expires: new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)),
                domain: "example.org", path: "/app", maxAge: TimeSpan.FromHours(1.5), secure: true, httpOnly: true, sameSite: SameSite.Strict);
            r.AddCookie("plain", "\"quoted\"");
            r.AddCookie("gone", "", maxAge: TimeSpan.Zero, sameSite: SameSite.Lax);
        });
        Assert.Equal(
        [
            "Set-Cookie: session=abc123; Expires=Wed, 02 Jan 2030 01:04:05 GMT; Max-Age=5400; Domain=example.org; Path=/app; Secure; HttpOnly; SameSite=Strict",
            "Set-Cookie: plain=\"quoted\"",
            "Set-Cookie: gone=; Max-Age=0; SameSite=Lax",
        ], lines.Where(l => l.StartsWith("Set-Cookie:", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("bad name", "v")]
    [InlineData("n;x", "v")]
    [InlineData("", "v")]
    [InlineData("n", "a b")]
    [InlineData("n", "a;Path=/")]
    [InlineData("n", "a,b")]
    [InlineData("n", "caf\u00e9")]
    [InlineData("n", "a\"b")]
    public void AddCookie_NameOrValueABrowserWouldMisread_Throws(string name, string value)
    {
        Exception? error = null;
        Get(r => error = Record.Exception(() => r.AddCookie(name, value)));
        Assert.IsType<ArgumentException>(error);
    }

    [Fact]
    public void AddCookie_AttributeInjection_AndSameSiteNoneWithoutSecure_Throw()
    {
        var errors = new List<Exception?>();
        Get(r =>
        {
            errors.Add(Record.Exception(() => r.AddCookie("n", "v", path: "/; Domain=evil")));
            errors.Add(Record.Exception(() => r.AddCookie("n", "v", domain: "a\r\nX: y")));
            errors.Add(Record.Exception(() => r.AddCookie("n", "v", sameSite: SameSite.None)));
            r.AddCookie("n", "v", secure: true, sameSite: SameSite.None);
        });
        Assert.All(errors, e => Assert.IsType<ArgumentException>(e));
    }

    [Fact]
    public void AddCookie_AfterTheHeadersWereSent_Throws()
    {
        Exception? error = null;
        Get(r =>
        {
            r.Write("x");
            error = Record.Exception(() => r.AddCookie("n", "v"));
        });
        Assert.IsType<InvalidOperationException>(error);
    }
}
