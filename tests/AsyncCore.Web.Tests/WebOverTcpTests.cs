using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Testing;

namespace AsyncCore.Web.Tests;

public sealed class WebOverTcpTests : ReactorTestBase
{
    internal static async Task<string> ExchangeRaw(int port, string request, int responses)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request)).ConfigureAwait(false);
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (HttpResponseCount(received) < responses)
        {
            var n = await socket.ReceiveAsync(buffer).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            received.AddRange(buffer.AsSpan(0, n));
        }
        return Encoding.Latin1.GetString([.. received]);
    }

    private static int HttpResponseCount(List<byte> received)
    {
        try
        {
            return HttpResponse.ParseAll([.. received]).Count;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or Xunit.Sdk.XunitException)
        {
            return 0; // Not all there yet.
        }
    }

    [Fact]
    public Task HttpClient_KeepAlive_ReusesOneConnection_ForGetPostAndHead() => RunOnReactor(async reactor =>
    {
        var (root, _, _) = TestSite.Build();
        var port = await Endpoint.ServerFromString(reactor, "tcp:0:interface=127.0.0.1").Listen(new Site(root));
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        var connections = 0;
        var counting = new CountingSite(root, () => connections++);
        var port2 = reactor.ListenTcp(0, counting, interfaceAddress: "127.0.0.1");
        var portNumber2 = ((IPEndPoint)port2.GetHost()).Port;

        var results = await Deferred.FromTask(Task.Run(async () =>
        {
            using var client = new HttpClient();
            var first = await client.GetStringAsync(new Uri($"http://127.0.0.1:{portNumber}/hello/a?x=y")).ConfigureAwait(false);
            using var posted = await client.PostAsync(new Uri($"http://127.0.0.1:{portNumber2}/echo"), new StringContent("body")).ConfigureAwait(false);
            var echoed = await posted.Content.ReadAsStringAsync().ConfigureAwait(false);
            using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri($"http://127.0.0.1:{portNumber2}/hello"))).ConfigureAwait(false);
            using var chunked = await client.GetAsync(new Uri($"http://127.0.0.1:{portNumber2}/pieces")).ConfigureAwait(false);
            var pieces = await chunked.Content.ReadAsStringAsync().ConfigureAwait(false);
            return (first, echoed, head.Content.Headers.ContentLength, chunked.Headers.TransferEncodingChunked, pieces);
        }));

        Assert.Equal("hello:a?x=y", results.first);
        Assert.Equal("body", results.echoed);
        Assert.Equal(6, results.ContentLength);
        Assert.True(results.TransferEncodingChunked);
        Assert.Equal("one,two", results.pieces);
        Assert.Equal(1, connections);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        await port2.StopListening();
        return true;
    });

    [Fact]
    public Task RawSocket_Pipelined_AnsweredInOrder_EvenWhenTheFirstFinishesLater() => RunOnReactor(async reactor =>
    {
        var (root, later, _) = TestSite.Build();
        var port = reactor.ListenTcp(0, new Site(root), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        _ = later.Arrived.AddCallback(request =>
        {
            reactor.CallLater(TimeSpan.FromMilliseconds(20), () =>
            {
                request.Write("late");
                request.Finish();
            });
        });

        var text = await Deferred.FromTask(ExchangeRaw(portNumber,
            "GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET /hello/2 HTTP/1.1\r\nHost: x\r\n\r\nGET /hello/3 HTTP/1.1\r\nHost: x\r\n\r\n", 3));

        Assert.Equal(["late", "hello:2", "hello:3"], HttpResponse.ParseAll(Encoding.Latin1.GetBytes(text)).Select(r => r.Body));
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task HttpClient_DeferredRender_IsAnsweredWhenItFires() => RunOnReactor(async reactor =>
    {
        var (root, _, async) = TestSite.Build();
        var port = reactor.ListenTcp(0, new Site(root), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        reactor.CallLater(TimeSpan.FromMilliseconds(20), () => async.Gate.Callback("later"));

        var body = await Deferred.FromTask(Task.Run(async () =>
        {
            using var client = new HttpClient();
            return await client.GetStringAsync(new Uri($"http://127.0.0.1:{portNumber}/async")).ConfigureAwait(false);
        }));

        Assert.Equal("async later", body);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task ClientDisconnect_DuringNotDoneYet_FailsNotifyFinish() => RunOnReactor(async reactor =>
    {
        var (root, later, _) = TestSite.Build();
        var port = reactor.ListenTcp(0, new Site(root), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;
        var finished = new Deferred<Exception>();
        _ = later.Arrived.AddCallback(request =>
        {
            _ = request.NotifyFinish().AddBoth(outcome =>
            {
                finished.Callback(outcome.Failure!.Value);
                return true;
            });
        });
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Deferred.FromTask(Task.Run(async () =>
        {
            await socket.ConnectAsync(IPAddress.Loopback, portNumber).ConfigureAwait(false);
            await socket.SendAsync("GET /later HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray()).ConfigureAwait(false);
            return true;
        }));
        var request = await later.Arrived;
        socket.Dispose();

        var error = await finished;
        Assert.IsAssignableFrom<ConnectionClosedException>(error);
        Assert.True(request.ClientGone);
        request.Write("nobody reads this");
        request.Finish();
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task Curl_GetsChunkedAndHead_IfInstalled() => RunOnReactor(async reactor =>
    {
        if (!File.Exists("/usr/bin/curl"))
        {
            Assert.Skip("curl is not installed");
        }
        var (root, _, _) = TestSite.Build();
        var port = reactor.ListenTcp(0, new Site(root), interfaceAddress: "127.0.0.1");
        var portNumber = ((IPEndPoint)port.GetHost()).Port;

        var output = await Deferred.FromTask(Task.Run(async () =>
        {
            var start = new ProcessStartInfo("/usr/bin/curl", ["-s", "-i", $"http://127.0.0.1:{portNumber}/pieces", $"http://127.0.0.1:{portNumber}/hello/x"])
            {
                RedirectStandardOutput = true,
            };
            using var curl = Process.Start(start)!;
            var text = await curl.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
            await curl.WaitForExitAsync().ConfigureAwait(false);
            return text;
        }));

        Assert.Contains("Transfer-Encoding: chunked", output, StringComparison.Ordinal);
        Assert.Contains("one,two", output, StringComparison.Ordinal);
        Assert.Contains("hello:x", output, StringComparison.Ordinal);
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    /// <summary>A site that counts its connections.</summary>
    private sealed class CountingSite(Resource root, Action connected) : Site(root)
    {
        public override IProtocol? BuildProtocol(EndPoint? address)
        {
            connected();
            return base.BuildProtocol(address);
        }
    }
}
