using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Tasks;

namespace AsyncCore.Web.Tests;

/// <summary>The idle and header-read timeouts (slowloris defence), on a virtual clock.</summary>
public sealed class TimeoutTests
{
    private const string H = "Host: x\r\n";
    private readonly Clock _clock = new();
    private readonly StringTransport _transport = new();
    private readonly IProtocol _channel;
    private readonly Later _later;

    public TimeoutTests()
    {
        var (root, later, _) = TestSite.Build();
        _later = later;
        var options = new WebServerOptions { IdleTimeout = TimeSpan.FromSeconds(60), HeaderReadTimeout = TimeSpan.FromSeconds(10) };
        _channel = new Site(root, options, _clock).BuildProtocol(null)!;
        _channel.MakeConnection(_transport);
    }

    private void Send(string data) => _channel.DataReceived(Encoding.Latin1.GetBytes(data));

    [Fact]
    public void Idle_NoRequestAfterConnecting_ClosesSilently()
    {
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(_transport.Disconnecting);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_transport.Disconnecting);
        Assert.Empty(_transport.Value());
    }

    [Fact]
    public void Idle_AfterAResponse_CountsFromTheResponse()
    {
        _clock.Advance(TimeSpan.FromSeconds(50));
        Send("GET /hello HTTP/1.1\r\n" + H + "\r\n");
        _clock.Advance(TimeSpan.FromSeconds(50));
        Assert.False(_transport.Disconnecting);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(_transport.Disconnecting);
        Assert.Single(HttpResponse.ParseAll(_transport.Value()));
    }

    [Fact]
    public void HeaderRead_TrickledBytes_DoNotRestartIt_408AndClose()
    {
        Send("GET /hello HTTP/1.1\r\n");
        for (var i = 0; i < 9; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            Send("X-Slow-" + i + ": 1\r\n");
        }
        Assert.False(_transport.Disconnecting);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var response = Assert.Single(HttpResponse.ParseAll(_transport.Value()));
        Assert.Equal(408, response.Code);
        Assert.Equal("close", response.Header("Connection"));
        Assert.True(_transport.Disconnecting);
    }

    [Fact]
    public void HeaderRead_StartsWithTheFirstByte_NotAtConnect()
    {
        _clock.Advance(TimeSpan.FromSeconds(55));
        Send("GE");
        _clock.Advance(TimeSpan.FromSeconds(9));
        Send("T /hello HTTP/1.1\r\n" + H + "\r\n");
        var response = Assert.Single(HttpResponse.ParseAll(_transport.Value()));
        Assert.Equal(200, response.Code);
        Assert.False(_transport.Disconnecting);
    }

    [Fact]
    public void HeaderRead_OfAPipelinedRequest_StartsAfterThePreviousOne()
    {
        Send("GET /hello HTTP/1.1\r\n" + H);
        _clock.Advance(TimeSpan.FromSeconds(8));
        Send("\r\nGET /hello/2 HTTP/1.1\r\n");
        _clock.Advance(TimeSpan.FromSeconds(8));
        Assert.False(_transport.Disconnecting);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([200, 408], HttpResponse.ParseAll(_transport.Value()).Select(r => r.Code));
    }

    [Fact]
    public void Body_StallingLongerThanIdle_408_EachReadRestartsIt()
    {
        Send("POST /echo HTTP/1.1\r\n" + H + "Content-Length: 3\r\n\r\n");
        _clock.Advance(TimeSpan.FromSeconds(50));
        Send("a");
        _clock.Advance(TimeSpan.FromSeconds(50));
        Send("b");
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(_transport.Disconnecting);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(408, Assert.Single(HttpResponse.ParseAll(_transport.Value())).Code);
        Assert.True(_transport.Disconnecting);
    }

    [Fact]
    public void PendingResponse_IsNotTimedOut_AndIdleStartsWhenItFinishes()
    {
        Send("GET /later HTTP/1.1\r\n" + H + "\r\n");
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.False(_transport.Disconnecting);
        Assert.Empty(_clock.GetDelayedCalls());
        _later.Pending[0].Finish();
        Assert.Single(_clock.GetDelayedCalls());
        _clock.Advance(TimeSpan.FromSeconds(60));
        Assert.True(_transport.Disconnecting);
    }

    [Fact]
    public void ConnectionLost_CancelsTheTimer()
    {
        Send("GET /hel");
        _channel.ConnectionLost(new Failure(new ConnectionDoneException()));
        Assert.Empty(_clock.GetDelayedCalls());
    }

    [Fact]
    public void NullTimeouts_NeverClose()
    {
        var (root, _, _) = TestSite.Build();
        var transport = new StringTransport();
        var channel = new Site(root, new WebServerOptions { IdleTimeout = null, HeaderReadTimeout = null }, _clock).BuildProtocol(null)!;
        channel.MakeConnection(transport);
        channel.DataReceived("GET /hel"u8);
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.False(transport.Disconnecting);
    }
}
