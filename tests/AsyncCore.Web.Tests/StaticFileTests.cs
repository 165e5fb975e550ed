using System.Net;
using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Testing;

namespace AsyncCore.Web.Tests;

/// <summary>A directory on disk for the static-file tests, with a secret next to it and links in and out.</summary>
public sealed class StaticTree : IDisposable
{
    public StaticTree()
    {
        Base = Directory.CreateTempSubdirectory("asynccore-static-").FullName;
        Root = Path.Combine(Base, "www");
        Directory.CreateDirectory(Path.Combine(Root, "sub"));
        Directory.CreateDirectory(Path.Combine(Root, "empty"));
        Directory.CreateDirectory(Path.Combine(Base, "outside"));
        File.WriteAllText(Path.Combine(Base, "secret.txt"), "TOP-SECRET");
        File.WriteAllText(Path.Combine(Base, "outside", "secret.txt"), "TOP-SECRET");
        File.WriteAllText(Path.Combine(Root, "index.html"), "<h1>home</h1>");
        File.WriteAllText(Path.Combine(Root, "a.txt"), "0123456789");
        File.WriteAllText(Path.Combine(Root, "sub", "style.css"), "body{}");
        File.WriteAllText(Path.Combine(Root, "data.unknownext"), "?");
        Big = new byte[300_000];
        new Random(7).NextBytes(Big);
        File.WriteAllBytes(Path.Combine(Root, "big.bin"), Big);
        File.CreateSymbolicLink(Path.Combine(Root, "inside-link.txt"), "a.txt");
        File.CreateSymbolicLink(Path.Combine(Root, "sub", "up-link.txt"), "../a.txt");
        File.CreateSymbolicLink(Path.Combine(Root, "out-link.txt"), "../secret.txt");
        File.CreateSymbolicLink(Path.Combine(Root, "abs-link.txt"), Path.Combine(Base, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "out-dir"), Path.Combine(Base, "outside"));
        // Inside the root by its text, outside by the kernel's reading: "sub-out" leads out first, then ".." is taken there.
        Directory.CreateSymbolicLink(Path.Combine(Root, "sub-out"), Path.Combine(Base, "outside"));
        File.CreateSymbolicLink(Path.Combine(Root, "tricky.txt"), "sub-out/../secret.txt");
        File.CreateSymbolicLink(Path.Combine(Root, "loop1"), "loop2");
        File.CreateSymbolicLink(Path.Combine(Root, "loop2"), "loop1");
    }

    public string Base { get; }

    public string Root { get; }

    public byte[] Big { get; }

    public Site Site()
    {
        var root = new Resource();
        root.PutChild("static", new StaticFile(Root));
        return new Site(root);
    }

    public void Dispose() => Directory.Delete(Base, recursive: true);
}

public sealed class StaticFileTests : IDisposable
{
    private readonly StaticTree _tree = new();
    private StringTransport _transport = new();
    private IProtocol _channel;

    public StaticFileTests()
    {
        _channel = _tree.Site().BuildProtocol(null)!;
        _channel.MakeConnection(_transport);
    }

    /// <summary>A new connection, for a request after one whose body is left pending.</summary>
    private void Reconnect()
    {
        _transport = new StringTransport();
        _channel = _tree.Site().BuildProtocol(null)!;
        _channel.MakeConnection(_transport);
    }

    public void Dispose() => _tree.Dispose();

    private HttpResponse Get(string target, string headers = "", string method = "GET")
    {
        _transport.Clear();
        _channel.DataReceived(Encoding.Latin1.GetBytes($"{method} {target} HTTP/1.1\r\nHost: x\r\n{headers}\r\n"));
        // A body the sender streams is not out yet (the transport has not asked for it): parse the head only.
        return Assert.Single(HttpResponse.ParseAll(_transport.Value(), method == "HEAD" || _transport.Producer is not null ? [0] : []));
    }

    [Theory]
    [InlineData("/static/../secret.txt")]
    [InlineData("/static/%2e%2e/secret.txt")]
    [InlineData("/static/%2E%2E/secret.txt")]
    [InlineData("/static/sub/..%2f..%2fsecret.txt")]
    [InlineData("/static/..%2fsecret.txt")]
    [InlineData("/static/%2e%2e%2fsecret.txt")]
    [InlineData("/static/..\\secret.txt")]
    [InlineData("/static/..%5csecret.txt")]
    [InlineData("/static/sub%5c..%5c..%5csecret.txt")]
    [InlineData("/static/%2fetc%2fpasswd")]
    [InlineData("/static//etc/passwd")]
    [InlineData("/static/sub//../../secret.txt")]
    [InlineData("/static/.")]
    [InlineData("/static/a.txt%00.html")]
    [InlineData("/static/C:%5cWindows")]
    [InlineData("/static/out-link.txt")]
    [InlineData("/static/abs-link.txt")]
    [InlineData("/static/out-dir/secret.txt")]
    [InlineData("/static/tricky.txt")]
    [InlineData("/static/loop1")]
    [InlineData("/static/missing.txt")]
    public void Traversal_AndLinksOutOfTheRoot_Answer404_WithoutTheSecret(string target)
    {
        var response = Get(target);
        Assert.Equal(404, response.Code);
        Assert.DoesNotContain("TOP-SECRET", Encoding.Latin1.GetString(_transport.Value()), StringComparison.Ordinal);
    }

    [Fact]
    public void AbsolutePathInTheRoot_IsNotAnEscape()
    {
        var absolute = Uri.EscapeDataString(Path.Combine(_tree.Base, "secret.txt"));
        Assert.Equal(404, Get("/static/" + absolute).Code);
    }

    [Fact]
    public void File_HasTypeLengthTagAndDate_AndIsStreamedByAPullProducer()
    {
        var response = Get("/static/a.txt");
        Assert.Equal(200, response.Code);
        Assert.Equal("text/plain; charset=utf-8", response.Header("Content-Type"));
        Assert.Equal("10", response.Header("Content-Length"));
        Assert.Equal("bytes", response.Header("Accept-Ranges"));
        Assert.StartsWith("\"a-", response.Header("ETag"), StringComparison.Ordinal);
        Assert.NotNull(response.Header("Last-Modified"));
        // Only the head is out: the body is read when the transport asks the sender for it.
        Assert.IsType<FileSender>(_transport.Producer);
        Assert.False(_transport.Streaming);
        Assert.Equal("", response.Body);
    }

    [Fact]
    public void LinksInsideTheRoot_AreFollowed()
    {
        Assert.Equal("10", Get("/static/inside-link.txt").Header("Content-Length"));
        Reconnect();
        Assert.Equal("10", Get("/static/sub/up-link.txt").Header("Content-Length"));
    }

    [Theory]
    [InlineData("/static/sub/style.css", "text/css; charset=utf-8")]
    [InlineData("/static/data.unknownext", "application/octet-stream")]
    [InlineData("/static/", "text/html; charset=utf-8")]
    public void ContentType_ByExtension(string target, string type) => Assert.Equal(type, Get(target).Header("Content-Type"));

    [Fact]
    public void Head_HasTheLength_AndNoBodyIsRead()
    {
        var response = Get("/static/big.bin", method: "HEAD");
        Assert.Equal("300000", response.Header("Content-Length"));
        Assert.Null(_transport.Producer);
        Assert.EndsWith("\r\n\r\n", Encoding.Latin1.GetString(_transport.Value()), StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_WithoutSlash_Redirects_KeepingTheQuery()
    {
        var response = Get("/static/sub?x=1");
        Assert.Equal(301, response.Code);
        Assert.Equal("/static/sub/?x=1", response.Header("Location"));
    }

    [Fact]
    public void Directory_WithoutIndex_Is403()
    {
        Assert.Equal(403, Get("/static/empty/").Code);
    }

    [Fact]
    public void IfNoneMatch_SameTag_Is304_OtherTag_Is200()
    {
        var etag = Get("/static/a.txt").Header("ETag")!;
        Reconnect();
        var notModified = Get("/static/a.txt", $"If-None-Match: \"other\", W/{etag}\r\n");
        Assert.Equal(304, notModified.Code);
        Assert.Equal(etag, notModified.Header("ETag"));
        Assert.Null(_transport.Producer);
        Assert.Equal(200, Get("/static/a.txt", "If-None-Match: \"other\"\r\n").Code);
    }

    [Fact]
    public void IfMatch_OtherOrWeakTag_Is412_SameTagOrStar_Is200()
    {
        var etag = Get("/static/a.txt").Header("ETag")!;
        Reconnect();
        var failed = Get("/static/a.txt", "If-Match: \"other\"\r\n");
        Assert.Equal(412, failed.Code);
        Assert.Null(_transport.Producer); // Nothing of the file is sent.
        Assert.Equal(412, Get("/static/a.txt", $"If-Match: W/{etag}\r\n").Code); // If-Match compares strongly.
        Assert.Equal(200, Get("/static/a.txt", $"If-Match: \"other\", {etag}\r\n").Code);
        Reconnect();
        Assert.Equal(200, Get("/static/a.txt", "If-Match: *\r\n").Code);
    }

    [Fact]
    public void IfUnmodifiedSince_Older_Is412_NotOlder_Is200_IgnoredWithIfMatch()
    {
        File.SetLastWriteTimeUtc(Path.Combine(_tree.Root, "a.txt"), new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc));
        Assert.Equal(412, Get("/static/a.txt", "If-Unmodified-Since: Mon, 06 May 2024 07:08:08 GMT\r\n").Code);
        Assert.Equal(200, Get("/static/a.txt", "If-Unmodified-Since: Mon, 06 May 2024 07:08:09 GMT\r\n").Code);
        Reconnect();
        Assert.Equal(200, Get("/static/a.txt", "If-Match: *\r\nIf-Unmodified-Since: Mon, 06 May 2024 07:08:08 GMT\r\n").Code);
    }

    [Fact]
    public void IfModifiedSince_NotNewer_Is304_Older_Is200_AndIgnoredWithIfNoneMatch()
    {
        File.SetLastWriteTimeUtc(Path.Combine(_tree.Root, "a.txt"), new DateTime(2024, 5, 6, 7, 8, 9, 500, DateTimeKind.Utc));
        Assert.Equal(304, Get("/static/a.txt", "If-Modified-Since: Mon, 06 May 2024 07:08:09 GMT\r\n").Code);
        Assert.Equal(200, Get("/static/a.txt", "If-Modified-Since: Mon, 06 May 2024 07:08:08 GMT\r\n").Code);
    }

    [Fact]
    public void IfModifiedSince_WithANonMatchingIfNoneMatch_IsIgnored()
    {
        File.SetLastWriteTimeUtc(Path.Combine(_tree.Root, "a.txt"), new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc));
        Assert.Equal(200, Get("/static/a.txt", "If-None-Match: \"x\"\r\nIf-Modified-Since: Mon, 06 May 2024 07:08:09 GMT\r\n").Code);
    }

    [Theory]
    [InlineData("bytes=2-5", "bytes 2-5/10", "4")]
    [InlineData("bytes=7-", "bytes 7-9/10", "3")]
    [InlineData("bytes=-3", "bytes 7-9/10", "3")]
    [InlineData("bytes=-30", "bytes 0-9/10", "10")]
    [InlineData("bytes=5-100", "bytes 5-9/10", "5")]
    public void Range_Single_Is206(string range, string contentRange, string length)
    {
        var response = Get("/static/a.txt", $"Range: {range}\r\n");
        Assert.Equal(206, response.Code);
        Assert.Equal(contentRange, response.Header("Content-Range"));
        Assert.Equal(length, response.Header("Content-Length"));
    }

    [Theory]
    [InlineData("bytes=10-")]
    [InlineData("bytes=99-100")]
    [InlineData("bytes=-0")]
    public void Range_Unsatisfiable_Is416_WithTheLength(string range)
    {
        var response = Get("/static/a.txt", $"Range: {range}\r\n");
        Assert.Equal(416, response.Code);
        Assert.Equal("bytes */10", response.Header("Content-Range"));
    }

    [Theory]
    [InlineData("bytes=0-1,4-5")]
    [InlineData("items=0-1")]
    [InlineData("bytes=5-2")]
    [InlineData("bytes=a-b")]
    [InlineData("bytes=+1-2")]
    public void Range_SeveralOrMalformed_IsIgnored_200(string range)
    {
        var response = Get("/static/a.txt", $"Range: {range}\r\n");
        Assert.Equal(200, response.Code);
        Assert.Equal("10", response.Header("Content-Length"));
    }

    [Fact]
    public void IfRange_Stale_SendsTheWholeFile()
    {
        Assert.Equal(200, Get("/static/a.txt", "Range: bytes=0-1\r\nIf-Range: \"old\"\r\n").Code);
    }

    [Fact]
    public void Post_Is405_WithAllowGetHead()
    {
        var response = Get("/static/a.txt", "Content-Length: 0\r\n", method: "POST");
        Assert.Equal(405, response.Code);
        Assert.Equal("GET, HEAD", response.Header("Allow"));
    }
}

/// <summary>Static files streamed over TCP by the reactor, with a real client reading.</summary>
public sealed class StaticFileOverTcpTests : ReactorTestBase, IDisposable
{
    private readonly StaticTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public Task BigFile_RangeAndWhole_ArriveIntact_OnAKeptAliveConnection() => RunOnReactor(async reactor =>
    {
        var port = reactor.ListenTcp(0, _tree.Site(), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;

        var text = await Deferred.FromTask(WebOverTcpTests.ExchangeRaw(portNumber,
            "GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /static/big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=100000-200001\r\n\r\nGET /static/a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 3));

        var responses = HttpResponse.ParseAll(Encoding.Latin1.GetBytes(text));
        Assert.Equal([200, 206, 200], responses.Select(r => r.Code));
        Assert.Equal(_tree.Big, Encoding.Latin1.GetBytes(responses[0].Body));
        Assert.Equal(_tree.Big[100000..200002], Encoding.Latin1.GetBytes(responses[1].Body));
        Assert.Equal("0123456789", responses[2].Body);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task Curl_DownloadsTheFile_IfInstalled() => RunOnReactor(async reactor =>
    {
        if (!File.Exists("/usr/bin/curl"))
        {
            Assert.Skip("curl is not installed");
        }
        var port = reactor.ListenTcp(0, _tree.Site(), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        var output = Path.Combine(_tree.Base, "downloaded.bin");

        var exit = await Deferred.FromTask(Curl.Run("-s", "-o", output, "--limit-rate", "2M", $"http://127.0.0.1:{portNumber}/static/big.bin"));

        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(_tree.Big, await Deferred.FromTask(File.ReadAllBytesAsync(output)));
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });
}
