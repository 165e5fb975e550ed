using System.Net;
using System.Text;
using AsyncCore.Protocols;
using AsyncCore.Reactors;
using AsyncCore.Testing;
using AsyncCore.Transports;
using AsyncCore.Web.Client;

namespace AsyncCore.Web.Tests.Client;

using HttpResponse = AsyncCore.Web.Client.HttpResponse;

/// <summary>The HTTP client against AsyncCore's own <see cref="Site"/> and against raw servers that misbehave.</summary>
public sealed class AgentTests : ReactorTestBase
{
    /// <summary>Lists the client ports of the requests it answers (one port per connection).</summary>
    private sealed class Peers : Resource
    {
        public List<int> Ports { get; } = [];

        public override bool IsLeaf => true;

        protected override RenderResult RenderGet(Request request)
        {
            Ports.Add(((IPEndPoint)request.ClientAddress!).Port);
            return "peer";
        }

        protected override RenderResult RenderHead(Request request) => RenderGet(request);
    }

    /// <summary><c>/redirect/N</c> redirects to <c>/redirect/N-1</c> (302), <c>/redirect/0</c> to <c>/hello/end</c>;
    /// a POST is answered 303.</summary>
    private sealed class Redirect : Resource
    {
        public override bool IsLeaf => true;

        protected override RenderResult RenderGet(Request request) => Answer(request, 302);

        protected override RenderResult RenderPost(Request request) => Answer(request, 303);

        private static RenderResult Answer(Request request, int code)
        {
            var n = int.Parse(request.PostPath[0], System.Globalization.CultureInfo.InvariantCulture);
            request.ResponseCode = code;
            request.SetHeader("Location", n == 0 ? "/hello/end" : $"/redirect/{n - 1}");
            return "moved";
        }
    }

    /// <summary>A big body, to pass the 64 KiB kept before the caller takes it.</summary>
    private sealed class Big : Resource
    {
        public static readonly byte[] Body = [.. Enumerable.Range(0, 1 << 20).Select(i => (byte)(i * 7))];

        protected override RenderResult RenderGet(Request request) => Body;
    }

    private static (Resource Root, Later Later, Peers Peers) Build()
    {
        var (root, later, _) = TestSite.Build();
        var peers = new Peers();
        root.PutChild("peer", peers);
        root.PutChild("redirect", new Redirect());
        root.PutChild("big", new Big());
        return (root, later, peers);
    }

    /// <summary>The exception the Deferred fails with (null when it succeeds); the failure is consumed.</summary>
    private static Deferred<Exception?> Failed<T>(Deferred<T> deferred) => deferred.AddBoth(outcome => outcome.Failure?.Value);

    private static async Deferred<TException> Fails<TException, T>(Deferred<T> deferred)
        where TException : Exception => Assert.IsAssignableFrom<TException>(await Failed(deferred));

    private static string Url(IListeningPort port, string path) => $"http://127.0.0.1:{((IPEndPoint)port.GetHost()).Port}{path}";

    [Fact]
    public Task Get_And_Post_AgainstSite() => RunOnReactor(async reactor =>
    {
        var (root, _, _) = Build();
        var port = reactor.ListenTcp(0, new Site(root, clock: reactor), interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor);

        var hello = await agent.Get(Url(port, "/hello/a?x=1"));
        var helloText = await hello.ReadBodyText();
        var posted = await agent.Post(Url(port, "/echo"), "posted body"u8.ToArray(), "text/plain");
        var echoed = await posted.ReadBodyText();
        var put = await agent.Request("PUT", Url(port, "/echo"));
        await put.DiscardBody();

        Assert.Equal((200, "OK", "HTTP/1.1"), (hello.Code, hello.Phrase, hello.Version));
        Assert.Equal("hello:a?x=1", helloText);
        Assert.Equal(11, hello.Length);
        Assert.Equal("posted body", echoed);
        Assert.Equal(405, put.Code);
        Assert.Contains("POST", put.Headers.Get("Allow"), StringComparison.Ordinal);
        await agent.Pool.CloseCachedConnections();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task KeepAlive_SequentialRequests_ReuseOneConnection_AndHeadToo() => RunOnReactor(async reactor =>
    {
        var (root, _, peers) = Build();
        var port = reactor.ListenTcp(0, new Site(root, clock: reactor), interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor);

        for (var i = 0; i < 3; i++)
        {
            var response = await agent.Get(Url(port, "/peer"));
            Assert.Equal("peer", await response.ReadBodyText());
        }
        var head = await agent.Request("HEAD", Url(port, "/peer"));
        var headBody = await head.ReadBody();
        var chunked = await agent.Get(Url(port, "/pieces"));
        var pieces = await chunked.ReadBodyText();

        Assert.Equal(4, peers.Ports.Count);
        Assert.Single(peers.Ports.Distinct());
        Assert.Equal(1, agent.Pool.ConnectionsMade);
        Assert.Equal(1, agent.Pool.CachedConnections);
        Assert.Equal((0L, 0), (head.Length!.Value, headBody.Length));
        Assert.Equal("chunked", chunked.Headers.Get("Transfer-Encoding"));
        Assert.Null(chunked.Length);
        Assert.Equal("one,two", pieces);
        await agent.Pool.CloseCachedConnections();
        Assert.Equal(0, agent.Pool.OpenConnections);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task NonPersistentPool_SendsConnectionClose_AndConnectsEachTime() => RunOnReactor(async reactor =>
    {
        var (root, _, peers) = Build();
        var port = reactor.ListenTcp(0, new Site(root, clock: reactor), interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor, new HttpConnectionPool(reactor, persistent: false));

        for (var i = 0; i < 2; i++)
        {
            var response = await agent.Get(Url(port, "/peer"));
            Assert.Equal("close", response.Headers.Get("Connection"));
            await response.DiscardBody();
        }

        Assert.Equal(2, peers.Ports.Distinct().Count());
        Assert.Equal(2, agent.Pool.ConnectionsMade);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task ConcurrentRequests_OpenMoreConnections_AndKeepAtMostMaxPersistentPerHost() => RunOnReactor(async reactor =>
    {
        var (root, _, _) = Build();
        var port = reactor.ListenTcp(0, new Site(root, clock: reactor), interfaceAddress: "127.0.0.1");
        var pool = new HttpConnectionPool(reactor) { MaxPersistentPerHost = 2 };
        var agent = new Agent(reactor, pool);

        var responses = await Deferred.GatherResults(Enumerable.Range(0, 4).Select(_ => agent.Get(Url(port, "/hello"))));
        foreach (var response in responses)
        {
            await response.DiscardBody();
        }

        Assert.Equal(4, pool.ConnectionsMade);
        Assert.Equal(2, pool.CachedConnections);
        await pool.CloseCachedConnections();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task Redirects_FollowedWhenAsked_UpToTheLimit() => RunOnReactor(async reactor =>
    {
        var (root, _, _) = Build();
        var port = reactor.ListenTcp(0, new Site(root, clock: reactor), interfaceAddress: "127.0.0.1");
        var plain = new Agent(reactor);
        var following = new Agent(reactor, options: new AgentOptions { MaxRedirects = 5 });
        var strict = new Agent(reactor, options: new AgentOptions { MaxRedirects = 1 });

        var notFollowed = await plain.Get(Url(port, "/redirect/2"));
        await notFollowed.DiscardBody();
        var followed = await following.Get(Url(port, "/redirect/2"));
        var end = await followed.ReadBodyText();
        var afterPost = await following.Post(Url(port, "/redirect/0"), "data"u8.ToArray());
        var afterPostText = await afterPost.ReadBodyText();
        var tooMany = await Fails<TooManyRedirectsException, HttpResponse>(strict.Get(Url(port, "/redirect/3")));

        Assert.Equal((302, "/redirect/1"), (notFollowed.Code, notFollowed.Headers.Get("Location")));
        Assert.Equal((200, "hello:end"), (followed.Code, end));
        Assert.Equal(Url(port, "/hello/end"), followed.RequestUri.ToString());
        Assert.Equal([302, 302, 302], Chain(followed).Select(r => r.Code));
        Assert.Equal(1, following.Pool.ConnectionsMade); // Each redirect's body was read, so its connection was reused.
        Assert.Equal(("GET", "hello:end", 303), (afterPost.RequestMethod, afterPostText, afterPost.PreviousResponse!.Code));
        Assert.Equal(302, tooMany.Response!.Code);
        foreach (var agent in new[] { plain, following, strict })
        {
            await agent.Pool.CloseCachedConnections();
        }
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;

        static IEnumerable<HttpResponse> Chain(HttpResponse response)
        {
            for (var r = response.PreviousResponse; r is not null; r = r.PreviousResponse)
            {
                yield return r;
            }
        }
    });

    [Fact]
    public Task BigBody_KeptUntilTaken_ThenDeliveredWhole() => RunOnReactor(async reactor =>
    {
        var (root, _, _) = Build();
        var port = reactor.ListenTcp(0, new Site(root, clock: reactor), interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor);

        var response = await agent.Get(Url(port, "/big"));
        await reactor.DeferLater(TimeSpan.FromMilliseconds(100)); // The body arrives meanwhile; reading stops past 64 KiB.
        var pieces = 0;
        var received = new MemoryStream();
        var length = await response.DeliverBody(piece =>
        {
            pieces++;
            received.Write(piece.Span);
        });

        Assert.Equal(Big.Body.Length, length);
        Assert.Equal(Big.Body, received.ToArray());
        Assert.True(pieces > 1);
        await agent.Pool.CloseCachedConnections();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task Cancel_WhileTheServerIsRendering_ClosesTheConnection_AndTheServerSeesTheClientGo() => RunOnReactor(async reactor =>
    {
        var (root, later, _) = Build();
        var port = reactor.ListenTcp(0, new Site(root, clock: reactor), interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor);

        var request = agent.Get(Url(port, "/later"));
        var rendering = await later.Arrived;
        var serverSide = rendering.NotifyFinish();
        request.Cancel();

        await Fails<CancelledException, HttpResponse>(request);
        await Fails<ConnectionClosedException, object?>(serverSide);
        Assert.Equal(0, agent.Pool.CachedConnections);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task ReadTimeout_NoResponse_FailsWithTimeoutCause() => RunOnReactor(async reactor =>
    {
        var (root, later, _) = Build();
        var port = reactor.ListenTcp(0, new Site(root, clock: reactor), interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor, options: new AgentOptions { ReadTimeout = TimeSpan.FromMilliseconds(200) });

        var failed = await Fails<ResponseNeverReceivedException, HttpResponse>(agent.Get(Url(port, "/later")));

        Assert.IsType<TimeoutException>(failed.InnerException);
        Assert.IsAssignableFrom<ConnectionClosedException>(await Failed(later.Pending[0].NotifyFinish())); // The server saw the client go.
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task ConnectionRefused_FailsTheRequest() => RunOnReactor(async reactor =>
    {
        var port = reactor.ListenTcp(0, new ServerFactory(() => new Silent()), interfaceAddress: "127.0.0.1");
        var url = Url(port, "/");
        await port.StopListening();
        var agent = new Agent(reactor);

        await Fails<ConnectionRefusedException, HttpResponse>(agent.Get(url));
        return true;
    });

    private sealed class Silent : Protocol
    {
    }

    /// <summary>A server that answers every request with <paramref name="answer"/> (per connection index), then maybe closes.</summary>
    private sealed class RawServer(Func<int, int, (string Answer, bool Close)?> answer) : ServerFactory
    {
        public (string Answer, bool Close)? Answer(int connection, int request) => answer(connection, request);

        public int Connections { get; private set; }

        public override IProtocol? BuildProtocol(EndPoint? address) => new Raw(this, Connections++);

        private sealed class Raw(RawServer server, int connection) : Protocol
        {
            private readonly StringBuilder _received = new();
            private int _requests;

            public override void DataReceived(ReadOnlySpan<byte> data)
            {
                _received.Append(Encoding.Latin1.GetString(data));
                while (_received.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
                {
                    _received.Remove(0, end + 4);
                    if (server.Answer(connection, _requests++) is not { } reply)
                    {
                        Transport.LoseConnection();
                        return;
                    }
                    Transport.Write(Encoding.Latin1.GetBytes(reply.Answer));
                    if (reply.Close)
                    {
                        Transport.LoseConnection();
                        return;
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", "100")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "chunked")]
    public Task ServerClosingMidBody_FailsTheBody_Clearly(string answer, string expected) => RunOnReactor(async reactor =>
    {
        var port = reactor.ListenTcp(0, new RawServer((_, _) => (answer, true)), interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor);

        var response = await agent.Get(Url(port, "/"));
        var failed = await Fails<ResponseFailedException, byte[]>(response.ReadBody());

        Assert.Equal(200, response.Code);
        Assert.Contains(expected == "100" ? "91 bytes before the end" : "inside the chunked", failed.Message, StringComparison.Ordinal);
        Assert.IsType<ConnectionDoneException>(failed.InnerException);
        Assert.Equal(0, agent.Pool.OpenConnections);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task CloseDelimitedBody_EndsWithTheConnection_AndInterim100IsSkipped() => RunOnReactor(async reactor =>
    {
        var port = reactor.ListenTcp(0, new RawServer((_, _) => ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nX-A: b\r\n\r\nuntil the end", true)),
            interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor);

        var response = await agent.Get(Url(port, "/"));
        var body = await response.ReadBodyText();

        Assert.Equal(("HTTP/1.0", 200, "b", (long?)null), (response.Version, response.Code, response.Headers.Get("X-A"), response.Length));
        Assert.Equal("until the end", body);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Theory]
    [InlineData("HTTP/2 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n Folded: x\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n")]
    public Task MalformedResponse_FailsTheRequest(string answer) => RunOnReactor(async reactor =>
    {
        var port = reactor.ListenTcp(0, new RawServer((_, _) => (answer, false)), interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor);

        var failed = await Fails<ResponseFailedException, HttpResponse>(agent.Get(Url(port, "/")));

        Assert.IsNotType<ResponseNeverReceivedException>(failed);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task MalformedChunkSize_FailsTheBody() => RunOnReactor(async reactor =>
    {
        var port = reactor.ListenTcp(0, new RawServer((_, _) => ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false)),
            interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor);

        var response = await agent.Get(Url(port, "/"));
        var failed = await Fails<ResponseFailedException, byte[]>(response.ReadBody());

        Assert.Contains("chunk size", failed.Message, StringComparison.Ordinal);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task ReusedConnectionClosedByTheServer_IdempotentRequestRetriedOnANewOne() => RunOnReactor(async reactor =>
    {
        // The first connection answers once and then closes on the next request without answering (as a server that
        // timed the idle connection out just as the request arrived); the second connection answers.
        var server = new RawServer((connection, request) => connection == 0 && request > 0
            ? null
            : ($"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{connection}{request}", false));
        var port = reactor.ListenTcp(0, server, interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor);

        var first = await (await agent.Get(Url(port, "/"))).ReadBodyText();
        var second = await (await agent.Get(Url(port, "/"))).ReadBodyText();
        var third = await (await agent.Get(Url(port, "/"))).ReadBodyText(); // on connection 1, reused: answers "11"

        Assert.Equal(("00", "10"), (first, second));
        Assert.Equal(2, agent.Pool.ConnectionsMade);
        Assert.Equal("11", third);
        await agent.Pool.CloseCachedConnections();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task BodyEndingWhileUntaken_PastTheKeptLimit_LeavesTheConnectionReadingForTheNextRequest() => RunOnReactor(async reactor =>
    {
        // 70 KB: the read that passes the 64 KiB kept for an untaken body also ends it, so reading was paused then.
        var body = new string('b', 70_000);
        var port = reactor.ListenTcp(0, new RawServer((_, request) => ($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}", false)),
            interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor, options: new AgentOptions { ReadTimeout = TimeSpan.FromSeconds(5) });

        var first = await agent.Get(Url(port, "/"));
        await reactor.DeferLater(TimeSpan.FromMilliseconds(200)); // The whole body arrives untaken.
        var firstLength = await first.DiscardBody();
        var second = await (await agent.Get(Url(port, "/"))).ReadBodyText();

        Assert.Equal(body.Length, firstLength);
        Assert.Equal(body, second);
        Assert.Equal(1, agent.Pool.ConnectionsMade);
        await agent.Pool.CloseCachedConnections();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task ReusedConnectionClosed_PostIsNotRetried() => RunOnReactor(async reactor =>
    {
        var server = new RawServer((connection, request) => request > 0 ? null : ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false));
        var port = reactor.ListenTcp(0, server, interfaceAddress: "127.0.0.1");
        var agent = new Agent(reactor);

        await (await agent.Get(Url(port, "/"))).DiscardBody();
        await Fails<ResponseNeverReceivedException, HttpResponse>(agent.Post(Url(port, "/"), "x"u8.ToArray()));

        Assert.Equal(1, agent.Pool.ConnectionsMade);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public void Request_RefusesBadMethodUrlAndHeaders()
    {
        using var reactor = new EventLoopReactor();
        var agent = new Agent(reactor);

        Assert.Throws<ArgumentException>(() => agent.Request("G ET", "http://127.0.0.1/"));
        Assert.Throws<ArgumentException>(() => agent.Get("ftp://127.0.0.1/"));
        Assert.Throws<ArgumentException>(() => agent.Get("/relative"));
        var injected = new Headers();
        injected.Add("X-A", "b\r\nX-Injected: c");
        Assert.Throws<ArgumentException>(() => agent.Get("http://127.0.0.1/", injected));
    }
}
