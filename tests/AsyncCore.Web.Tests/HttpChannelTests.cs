using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;

namespace AsyncCore.Web.Tests;

public sealed class HttpChannelTests
{
    private readonly StringTransport _transport = new();
    private readonly IProtocol _channel;
    private readonly Later _later;
    private readonly Async _async;

    public HttpChannelTests() : this(null)
    {
    }

    private HttpChannelTests(WebServerOptions? options)
    {
        var (root, later, async) = TestSite.Build();
        _later = later;
        _async = async;
        _channel = new Site(root, options).BuildProtocol(null)!;
        _channel.MakeConnection(_transport);
    }

    private static HttpChannelTests WithLimits(WebServerOptions options) => new(options);

    private List<HttpResponse> Send(string data, params int[] heads)
    {
        _channel.DataReceived(Encoding.Latin1.GetBytes(data));
        return HttpResponse.ParseAll(_transport.Value(), heads);
    }

    private const string H = "Host: x\r\n";

    [Fact]
    public void Get_Root_RendersTheEmptyChild()
    {
        var response = Assert.Single(Send("GET / HTTP/1.1\r\n" + H + "\r\n"));
        Assert.Equal(200, response.Code);
        Assert.Equal("root:", response.Body);
        Assert.Equal("5", response.Header("Content-Length"));
        Assert.False(_transport.Disconnecting);
    }

    [Fact]
    public void Get_LeafWithRestOfPathAndQuery_SeesDecodedSegmentsAndArgs()
    {
        var response = Assert.Single(Send("GET /hello/a%20b/c?x=1+2%21&y HTTP/1.1\r\n" + H + "\r\n"));
        Assert.Equal("hello:a b/c?x=1 2!", response.Body);
    }

    [Fact]
    public void Get_UnknownChild_Answers404()
    {
        Assert.Equal(404, Assert.Single(Send("GET /missing/deeper HTTP/1.1\r\n" + H + "\r\n")).Code);
    }

    [Fact]
    public void Post_ToGetOnlyResource_Answers405WithAllow()
    {
        var response = Assert.Single(Send("POST /hello HTTP/1.1\r\n" + H + "Content-Length: 0\r\n\r\n"));
        Assert.Equal(405, response.Code);
        Assert.Equal("GET, HEAD", response.Header("Allow"));
    }

    [Fact]
    public void Get_ToPostOnlyResource_Answers405WithAllow()
    {
        var response = Assert.Single(Send("GET /echo HTTP/1.1\r\n" + H + "\r\n"));
        Assert.Equal(405, response.Code);
        Assert.Equal("POST", response.Header("Allow"));
    }

    [Fact]
    public void Head_SendsTheLengthOfGetWithoutTheBody_AndTheConnectionGoesOn()
    {
        var responses = Send("HEAD /hello HTTP/1.1\r\n" + H + "\r\nGET /hello HTTP/1.1\r\n" + H + "\r\n", 0);
        Assert.Equal(2, responses.Count);
        Assert.Equal("6", responses[0].Header("Content-Length"));
        Assert.Equal("", responses[0].Body);
        Assert.Equal("hello:", responses[1].Body);
    }

    [Fact]
    public void Post_ContentLengthBody_IsTheContent()
    {
        Assert.Equal("abc\r\ndef", Assert.Single(Send("POST /echo HTTP/1.1\r\n" + H + "Content-Length: 8\r\n\r\nabc\r\ndef")).Body);
    }

    [Fact]
    public void Post_ChunkedBodyWithExtensionsAndTrailers_IsTheContent()
    {
        var response = Assert.Single(Send("POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n" +
            "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n"));
        Assert.Equal("abc0123456789", response.Body);
    }

    [Fact]
    public void Post_DuplicateIdenticalContentLength_IsAccepted()
    {
        Assert.Equal("abc", Assert.Single(Send("POST /echo HTTP/1.1\r\n" + H + "Content-Length: 3, 3\r\n\r\nabc")).Body);
    }

    [Fact]
    public void Request_FedOneByteAtATime_IsParsedTheSame()
    {
        foreach (var b in Encoding.ASCII.GetBytes("\r\nPOST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"))
        {
            _channel.DataReceived([b]);
        }
        Assert.Equal("hi", Assert.Single(HttpResponse.ParseAll(_transport.Value())).Body);
    }

    [Fact]
    public void Pipelined_RequestsInOneWrite_AreAnsweredInOrder()
    {
        var responses = Send("GET /hello/1 HTTP/1.1\r\n" + H + "\r\nPOST /echo HTTP/1.1\r\n" + H + "Content-Length: 2\r\n\r\n22GET /hello/3 HTTP/1.1\r\n" + H + "\r\n");
        Assert.Equal(["hello:1", "22", "hello:3"], responses.Select(r => r.Body));
    }

    [Fact]
    public void Pipelined_AfterNotDoneYet_WaitsForTheFirstToFinish()
    {
        Assert.Empty(Send("GET /later HTTP/1.1\r\n" + H + "\r\nGET /hello/2 HTTP/1.1\r\n" + H + "\r\n"));
        var pending = Assert.Single(_later.Pending);
        pending.Write("first");
        pending.Finish();
        var responses = HttpResponse.ParseAll(_transport.Value());
        Assert.Equal(["first", "hello:2"], responses.Select(r => r.Body));
        Assert.Equal("chunked", responses[0].Header("Transfer-Encoding"));
    }

    [Fact]
    public void UnknownLength_Http11_IsChunked()
    {
        var response = Assert.Single(Send("GET /pieces HTTP/1.1\r\n" + H + "\r\n"));
        Assert.Equal("chunked", response.Header("Transfer-Encoding"));
        Assert.Equal("one,two", response.Body);
        Assert.False(_transport.Disconnecting);
    }

    [Fact]
    public void UnknownLength_Http10_EndsByClosing()
    {
        var response = Assert.Single(Send("GET /pieces HTTP/1.0\r\n\r\n"));
        Assert.Null(response.Header("Transfer-Encoding"));
        Assert.Equal("close", response.Header("Connection"));
        Assert.Equal("one,two", response.Body);
        Assert.True(_transport.Disconnecting);
    }

    [Fact]
    public void Http10_WithoutKeepAlive_Closes_WithKeepAlive_StaysOpen()
    {
        Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        Assert.False(_transport.Disconnecting);
        Send("GET /hello HTTP/1.0\r\n\r\n");
        Assert.True(_transport.Disconnecting);
    }

    [Fact]
    public void ConnectionClose_Http11_ClosesAfterTheResponse_AndIgnoresWhatFollows()
    {
        var responses = Send("GET /hello HTTP/1.1\r\n" + H + "Connection: close\r\n\r\nGET /hello HTTP/1.1\r\n" + H + "\r\n");
        Assert.Equal("close", Assert.Single(responses).Header("Connection"));
        Assert.True(_transport.Disconnecting);
    }

    [Fact]
    public void DeferredRender_AnswersWhenTheDeferredFires()
    {
        Assert.Empty(Send("GET /async HTTP/1.1\r\n" + H + "\r\n"));
        _async.Gate.Callback("done");
        Assert.Equal("async done", Assert.Single(HttpResponse.ParseAll(_transport.Value())).Body);
    }

    [Fact]
    public void DeferredRender_Failing_Answers500()
    {
        Send("GET /async HTTP/1.1\r\n" + H + "\r\n");
        _async.Gate.Errback(new InvalidOperationException("no"));
        Assert.Equal(500, Assert.Single(HttpResponse.ParseAll(_transport.Value())).Code);
    }

    [Fact]
    public void Render_Throwing_Answers500_AndTheConnectionGoesOn()
    {
        var responses = Send("GET /boom HTTP/1.1\r\n" + H + "\r\nGET /hello HTTP/1.1\r\n" + H + "\r\n");
        Assert.Equal([500, 200], responses.Select(r => r.Code));
    }

    [Fact]
    public void NotifyFinish_FiresOnFinish()
    {
        Send("GET /later HTTP/1.1\r\n" + H + "\r\n");
        var request = Assert.Single(_later.Pending);
        var finished = request.NotifyFinish();
        Assert.False(finished.Called);
        request.Finish();
        Assert.True(finished.Called);
    }

    [Fact]
    public void NotifyFinish_FailsWhenTheClientGoesAway_AndLaterWritesAreDropped()
    {
        Send("GET /later HTTP/1.1\r\n" + H + "\r\n");
        var request = Assert.Single(_later.Pending);
        var finished = request.NotifyFinish();
        Failure? failure = null;
        finished.AddErrback(f => { failure = f; return (object?)null; });
        _channel.ConnectionLost(new Failure(new ConnectionLostException()));
        Assert.IsType<ConnectionLostException>(failure?.Value);
        Assert.True(request.ClientGone);
        request.Write("dropped");
        request.Finish();
        Assert.Empty(_transport.Value());
    }

    [Fact]
    public void ExpectContinue_Answers100BeforeTheBody()
    {
        _channel.DataReceived(Encoding.ASCII.GetBytes("POST /echo HTTP/1.1\r\n" + H + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n"));
        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", Encoding.ASCII.GetString(_transport.Value()));
        _channel.DataReceived("ok"u8);
        Assert.Equal("ok", HttpResponse.ParseAll(_transport.Value())[1].Body);
    }

    [Fact]
    public void AbsoluteFormTarget_IsReducedToItsPath()
    {
        Assert.Equal("hello:a", Assert.Single(Send("GET http://x/hello/a HTTP/1.1\r\n" + H + "\r\n")).Body);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n", 400)] // no Host
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400)]
    [InlineData("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400)]
    [InlineData("G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400)]
    [InlineData("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505)]
    [InlineData("GET / FOO/1.1\r\nHost: x\r\n\r\n", 400)]
    [InlineData("GET / http/1.1\r\nHost: x\r\n\r\n", 400)]
    [InlineData("GET noslash HTTP/1.1\r\nHost: x\r\n\r\n", 400)]
    [InlineData("GET /a\u007fb HTTP/1.1\r\nHost: x\r\n\r\n", 400)]
    [InlineData("GET\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n", 400)] // obs-fold
    [InlineData("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n: empty-name\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n", 400)] // bare CR
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501)]
    [InlineData("POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1111111111111111111\r\n", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 400)]
    [InlineData("GET /\tx HTTP/1.1\r\nHost: x\r\n\r\n", 400)] // whitespace inside the target
    [InlineData("GET /a\u0080 HTTP/1.1\r\nHost: x\r\n\r\n", 400)] // non-ASCII target byte
    [InlineData("GET http://[bad HTTP/1.1\r\nHost: x\r\n\r\n", 400)] // unparsable absolute form
    [InlineData("GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400)] // asterisk form is for OPTIONS only
    [InlineData("GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400)] // not HTTP-version's two digits
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nX-A\t: b\r\n\r\n", 400)] // whitespace before the colon (RFC 9112 5.1)
    [InlineData("GET / HTTP/1.1\r\n\0Host: x\r\n\r\n", 400)] // NUL in a field name
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nX-A: b\u007f\r\n\r\n", 400)] // DEL in a field value
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", 400)] // empty Content-Length
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\nab", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3, 4\r\n\r\nabcd", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n", 400)] // space before the size
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n", 400)] // no CRLF after data
    public void Malformed_IsRefusedWithACode_AndTheConnectionCloses(string request, int code)
    {
        var response = Assert.Single(Send(request));
        Assert.Equal(code, response.Code);
        Assert.Equal("close", response.Header("Connection"));
        Assert.True(_transport.Disconnecting);
        // Nothing after a refusal is parsed.
        _channel.DataReceived("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        Assert.Single(HttpResponse.ParseAll(_transport.Value()));
    }

    [Fact]
    public void Limit_RequestLine_Answers414_EvenBeforeTheLineEnds()
    {
        var test = WithLimits(new WebServerOptions { MaxRequestLineLength = 64 });
        Assert.Equal(200, Assert.Single(test.Send("GET /hello/" + new string('a', 44) + " HTTP/1.1\r\n" + H + "\r\n")).Code);
        var other = WithLimits(new WebServerOptions { MaxRequestLineLength = 64 });
        Assert.Equal(414, Assert.Single(other.Send("GET /" + new string('a', 100))).Code);
    }

    [Fact]
    public void Limit_HeaderBytes_Answers431()
    {
        var test = WithLimits(new WebServerOptions { MaxHeaderBytes = 100 });
        Assert.Equal(431, Assert.Single(test.Send("GET / HTTP/1.1\r\n" + H + "X-Big: " + new string('b', 100) + "\r\n\r\n")).Code);
    }

    [Fact]
    public void Limit_HeaderCount_Answers431()
    {
        var test = WithLimits(new WebServerOptions { MaxHeaderCount = 3 });
        Assert.Equal(200, Assert.Single(test.Send("GET / HTTP/1.1\r\n" + H + "A: 1\r\nB: 2\r\n\r\n")).Code);
        var other = WithLimits(new WebServerOptions { MaxHeaderCount = 3 });
        Assert.Equal(431, Assert.Single(other.Send("GET / HTTP/1.1\r\n" + H + "A: 1\r\nB: 2\r\nC: 3\r\n\r\n")).Code);
    }

    [Fact]
    public void Limit_DeclaredBody_Answers413BeforeReadingIt()
    {
        var test = WithLimits(new WebServerOptions { MaxBodySize = 10 });
        Assert.Equal(413, Assert.Single(test.Send("POST /echo HTTP/1.1\r\n" + H + "Content-Length: 11\r\n\r\n")).Code);
    }

    [Fact]
    public void Limit_ChunkedBody_Answers413WhenTheChunksAddUpOverIt()
    {
        var test = WithLimits(new WebServerOptions { MaxBodySize = 10 });
        Assert.Equal(413, Assert.Single(test.Send("POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n3\r\n")).Code);
    }

    [Fact]
    public void Limit_PipelineBuffer_PausesReadingUntilTheResponseIsDone()
    {
        var test = WithLimits(new WebServerOptions { MaxPipelineBuffer = 32 });
        test.Send("GET /later HTTP/1.1\r\n" + H + "\r\n");
        test._channel.DataReceived(Encoding.ASCII.GetBytes("GET /hello HTTP/1.1\r\n" + H + "X-Pad: " + new string('p', 40) + "\r\n\r\n"));
        Assert.Equal(ProducerState.Paused, test._transport.ProducerState);
        test._later.Pending[0].Finish();
        Assert.Equal(ProducerState.Producing, test._transport.ProducerState);
        Assert.Equal(2, HttpResponse.ParseAll(test._transport.Value()).Count);
    }
}
