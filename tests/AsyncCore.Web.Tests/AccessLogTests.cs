using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Tasks;
using AsyncCore.Testing;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Web.Tests;

/// <summary>One combined-log-format line per request through the site's <see cref="Site.AccessLogger"/>.</summary>
public sealed class AccessLogTests
{
    private readonly LogCapture _capture = new();
    private readonly StringTransport _transport = new();
    private readonly IProtocol _channel;
    private readonly Later _later;

    public AccessLogTests()
    {
        var (root, later, _) = TestSite.Build();
        _later = later;
        var clock = new Clock(new DateTimeOffset(2026, 3, 5, 14, 7, 9, TimeSpan.Zero));
        var site = new Site(root, null, clock) { AccessLogger = _capture.CreateLogger("access") };
        _channel = site.BuildProtocol(null)!;
        _channel.MakeConnection(_transport);
    }

    private void Send(string data) => _channel.DataReceived(Encoding.Latin1.GetBytes(data));

    [Fact]
    public void Get_LogsOneCombinedLine_WithRefererAndAgent()
    {
        Send("GET /hello/a?x=1 HTTP/1.1\r\nHost: x\r\nReferer: http://x/start\r\nUser-Agent: Test/1.0 (\"q\")\r\n\r\n");

        var entry = Assert.Single(_capture.Entries);
        Assert.Equal("access", entry.Category);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal("192.168.1.1 - - [05/Mar/2026:14:07:09 +0000] \"GET /hello/a?x=1 HTTP/1.1\" 200 11 \"http://x/start\" \"Test/1.0 (\\\"q\\\")\"", entry.Message);
    }

    [Fact]
    public void HeadAndEmptyBodies_LogDashForBytes_AndMissingHeadersAsDash()
    {
        Send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.EndsWith("\"HEAD /hello HTTP/1.1\" 200 - \"-\" \"-\"", Assert.Single(_capture.Entries).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NotDoneYet_IsLoggedWhenFinished_WithTheBytesWritten()
    {
        Send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Empty(_capture.Entries);
        var request = _later.Pending[0];
        request.ResponseCode = 201;
        request.Write("abc");
        request.Write("de");
        request.Finish();
        Assert.Contains("\"GET /later HTTP/1.1\" 201 5 ", Assert.Single(_capture.Entries).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refused_IsLogged_WithTheRequestLineWhenItWasRead()
    {
        Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        Assert.Matches("^192\\.168\\.1\\.1 - - \\[.*\\] \"POST /echo HTTP/1\\.1\" 400 \\d+ \"-\" \"-\"$", Assert.Single(_capture.Entries).Message);
    }

    [Fact]
    public void Refused_BadRequestLine_LogsDash()
    {
        Send("GARBAGE\r\n");
        Assert.Contains("] \"-\" 400 ", Assert.Single(_capture.Entries).Message, StringComparison.Ordinal);
    }
}
