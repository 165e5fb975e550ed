using AsyncCore.Tests.Shared;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AsyncCore.Samples.Tests;

/// <summary>Every sample, run as a user runs it, with its expected output.</summary>
public sealed class SampleTests
{
    [Fact]
    public async Task DeferredTour_WalksEveryStepAndFinishes()
    {
        var (code, lines, errors) = await SampleRun.RunToEnd("DeferredTour");

        Assert.True(code == 0, errors);
        Assert.Contains("   formatted: 19.99 EUR", lines);
        Assert.Contains("   back on the success path with -1", lines);
        Assert.Contains("   sum = 42", lines);
        Assert.Equal("Tour finished.", lines[^1]);
    }

    [Fact]
    public async Task DeferredTutorial_RunsEveryTutorialProgramOnARealReactor()
    {
        var (code, lines, errors) = await SampleRun.RunToEnd("DeferredTutorial");

        Assert.True(code == 0, errors);
        Assert.Contains("   hello, alice", lines);
        // The grid: a failure raised in row 2's callback is handled by row 3's errback, whichever way the chain started.
        Assert.Contains("""   {"start":"success","path":["start","row 1: callback","row 2: callback raises","row 3: errback recovers"]}""", lines);
        Assert.Contains("""   {"start":"failure","path":["start","row 1: errback","row 2: callback raises","row 3: errback recovers"]}""", lines);
        Assert.Contains("   bob: bob is not cached", lines);
        Assert.Contains("   mallory: failed (mallory may not be looked up)", lines);
        Assert.Equal(["   3...", "   2...", "   1...", "   liftoff"], lines.SkipWhile(l => l != "   3...").Take(4));
        Assert.Contains(lines, l => l.Contains("appeared after", StringComparison.Ordinal) && l.EndsWith("\"ready\"", StringComparison.Ordinal));
        Assert.Equal("Tutorial finished.", lines[^1]);
    }

    [Fact]
    public async Task UiThreadReactor_EveryUpdateRunsOnTheUiThread()
    {
        var (code, lines, errors) = await SampleRun.RunToEnd("UiThreadReactor");

        Assert.True(code == 0, string.Join('\n', lines) + errors);
        Assert.Contains("[ui thread] echoed: hello from the UI thread", lines);
        Assert.Contains("[ui thread] background sum: 500500", lines);
        Assert.Contains(lines, l => l.StartsWith("[ui thread] tick ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("OTHER THREAD", StringComparison.Ordinal));
        Assert.Equal("UI loop ended; every update ran on the UI thread: True", lines[^1]);
    }

    [Fact]
    public async Task Avatars_FetchesThreeAvatarsAndClosesThePool()
    {
        var (code, lines, errors) = await SampleRun.RunToEnd("Avatars");

        Assert.True(code == 0, errors);
        Assert.Equal(3, lines.Count(l => l.StartsWith("avatar: ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.Contains("Carol", StringComparison.Ordinal));
        Assert.Equal("pool closed", lines[^1]);
    }

    [Fact]
    public async Task OrmDeferToThread_ResultsComeBackOnTheReactorThread()
    {
        var (code, lines, errors) = await SampleRun.RunToEnd("OrmDeferToThread");

        Assert.True(code == 0, errors);
        Assert.Contains(lines, l => l.StartsWith("on the reactor thread (True): cheap products: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StoredProcedures_CallsTheFunctionOnPostgreSql()
    {
        var pg = SampleRun.RequireServer("ASYNCCORE_PG");

        var (code, lines, errors) = await SampleRun.RunToEnd("StoredProcedures", environment: new Dictionary<string, string> { ["ASYNCCORE_PG"] = pg });

        Assert.True(code == 0, errors);
        Assert.Contains(lines, l => l.StartsWith("user: yoen <", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MySqlAgents_SelectsInsertsAndUpdatesOnMariaDb()
    {
        var mysql = SampleRun.RequireServer("ASYNCCORE_MYSQL");

        var (code, lines, errors) = await SampleRun.RunToEnd("MySqlAgents", environment: new Dictionary<string, string> { ["ASYNCCORE_MYSQL"] = mysql });

        Assert.True(code == 0, errors);
        Assert.Contains(lines, l => l.StartsWith("updated ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("agent: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RedisGetSet_GetsSetsAndReadsTheUsersHash()
    {
        var redis = SampleRun.RequireServer("ASYNCCORE_REDIS");

        var (code, lines, errors) = await SampleRun.RunToEnd("RedisGetSet", environment: new Dictionary<string, string> { ["ASYNCCORE_REDIS"] = redis });

        Assert.True(code == 0, errors);
        Assert.Contains(lines, l => l.StartsWith("sample:greeting = ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("yoen <", StringComparison.Ordinal));
        Assert.Contains("nobody <unknown>", lines);
    }

    [Fact]
    public async Task BulkMail_SendsToEveryRecipientBothWays_AndCountsTheRefused()
    {
        var (code, lines, errors) = await SampleRun.RunToEnd("BulkMail", ["200"]);

        Assert.True(code == 0, string.Join('\n', lines) + errors);
        Assert.Contains("DeferredList: 196 delivered, 4 refused", lines);
        Assert.Contains("SendToEach: 196 delivered, 4 refused", lines);
        Assert.Contains("  SendToEach: 200/200", lines);
        Assert.Contains("SendToEach: 200 messages: 196 sent, 4 failed; 196 recipients accepted, 4 refused", lines);
        Assert.Equal("the server received 392 messages", lines[^1]);
        Assert.DoesNotContain("Unhandled error", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebApp_ServesTheTemplatePageTheDelayedResponseAndStaticFiles_OverHttpAndHttps()
    {
        using var sample = SampleRun.Start("WebApp", ["0", "0"]);
        var banner = await sample.WaitForLine("listening on ");
        var urls = banner.Split(' ').Where(w => w.StartsWith("http", StringComparison.Ordinal)).ToArray();
        var token = TestContext.Current.CancellationToken;
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var client = new HttpClient(handler) { Timeout = SampleRun.Patience };

        var page = await client.GetStringAsync(new Uri(urls[0] + "?name=%3Cb%3EAda%3C/b%3E"), token);
        Assert.Contains("Hello, &lt;b&gt;Ada&lt;/b&gt;.", page, StringComparison.Ordinal);
        Assert.Contains("<li>Cups &amp; saucers: 12 EUR</li>", page, StringComparison.Ordinal);
        Assert.Contains("<footer>", page, StringComparison.Ordinal);
        Assert.Equal("started...\nfinished half a second later\n", await client.GetStringAsync(new Uri(urls[1] + "later"), token));
        Assert.Contains("font-family", await client.GetStringAsync(new Uri(urls[1] + "static/site.css"), token), StringComparison.Ordinal);

        sample.Terminate();
        Assert.Equal(0, await sample.WaitForExit());
    }

    [Fact]
    public async Task WebSocketEcho_ServesThePage_AndEchoesToADotNetWebSocketClient()
    {
        using var sample = SampleRun.Start("WebSocketEcho", ["0"]);
        var banner = await sample.WaitForLine("open http://");
        var address = banner.Split(' ')[1]; // "http://127.0.0.1:PORT/"
        var token = TestContext.Current.CancellationToken;
        using var http = new HttpClient { Timeout = SampleRun.Patience };
        Assert.Contains("/ws", await http.GetStringAsync(new Uri(address), token), StringComparison.Ordinal);

        // System.Net.WebSockets as the independent peer, offering permessage-deflate as browsers do.
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.DangerousDeflateOptions = new System.Net.WebSockets.WebSocketDeflateOptions();
        await socket.ConnectAsync(new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "ws"), token);
        var text = "hello from " + new string('.', 2000);
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), System.Net.WebSockets.WebSocketMessageType.Text, endOfMessage: true, token);
        var buffer = new byte[8192];
        var received = new StringBuilder();
        System.Net.WebSockets.WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, token);
            received.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
        while (!result.EndOfMessage);
        Assert.Equal(text, received.ToString());
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", token);
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, socket.CloseStatus);

        sample.Terminate();
        Assert.Equal(0, await sample.WaitForExit());
    }

    [Fact]
    public async Task WebSocketEcho_APageInHeadlessChromium_GetsItsEcho()
    {
        // A real browser: Chromium loads the page, whose script opens the socket (offering permessage-deflate, as
        // browsers do), sends, and writes the echo into the DOM that --dump-dom prints.
        const string chromium = "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            const string reason = "chromium is not installed (`bash eng/services.sh install` installs it).";
            MissingPeer.SkipOrFail(reason);
        }
        using var sample = SampleRun.Start("WebSocketEcho", ["0"]);
        var address = (await sample.WaitForLine("open http://")).Split(' ')[1];
        using (var playwright = await Microsoft.Playwright.Playwright.CreateAsync())
        {
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
            var page = await browser.NewPageAsync();
            await page.GotoAsync(address);
            // The page's script opens ws://.../ws, sends "hello-from-browser" and writes the echo into #out.
            await page.WaitForFunctionAsync("() => document.getElementById('out').textContent !== 'pending'", null, new() { Timeout = 30_000 });
            Assert.Equal("echo:hello-from-browser", await page.TextContentAsync("#out"));
            // What the browser says it negotiated: the sample's server accepts permessage-deflate.
            Assert.StartsWith("permessage-deflate", await page.TextContentAsync("#extensions"), StringComparison.Ordinal);
        }
        sample.Terminate();
        Assert.Equal(0, await sample.WaitForExit());
    }

    [Fact]
    public async Task RedisUsers_StoresAndReadsUsersInBothStyles()
    {
        var redis = SampleRun.RequireServer("ASYNCCORE_REDIS");

        var (code, lines, errors) = await SampleRun.RunToEnd("RedisUsers", environment: new Dictionary<string, string> { ["ASYNCCORE_REDIS"] = redis });

        Assert.True(code == 0, errors);
        Assert.Contains(lines, l => l.StartsWith("stored ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("HGET sample:users ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" field(s) in sample:users (", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PortForward_RelaysAConnectionAndStopsOnSigterm()
    {
        // The target: a one-connection server that answers in upper case.
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        var targetPort = ((IPEndPoint)target.LocalEndpoint).Port;
        var served = Task.Run(async () =>
        {
            using var peer = await target.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            var stream = peer.GetStream();
            var buffer = new byte[64];
            var n = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(buffer, 0, n).ToUpperInvariant()), TestContext.Current.CancellationToken);
        }, TestContext.Current.CancellationToken);

        using var sample = SampleRun.Start("PortForward", ["tcp:0:interface=127.0.0.1", "127.0.0.1", targetPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var banner = await sample.WaitForLine("Forwarding ");
        var listening = banner.Split(' ')[1]; // "Forwarding 127.0.0.1:PORT -> host:port ..."
        var port = int.Parse(listening[(listening.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

        using (var client = new TcpClient())
        {
            var token = TestContext.Current.CancellationToken;
            await client.ConnectAsync(IPAddress.Loopback, port, token);
            var stream = client.GetStream();
            await stream.WriteAsync("through the forwarder"u8.ToArray(), token);
            var reply = new byte[64];
            var n = await stream.ReadAsync(reply, token);
            Assert.Equal("THROUGH THE FORWARDER", Encoding.ASCII.GetString(reply, 0, n));
        }
        await served;

        sample.Terminate();
        Assert.Equal(0, await sample.WaitForExit());
    }

    [Fact]
    public async Task MultiService_ServesBothPortsUnderTheGenericHostAndStopsOnSigterm()
    {
        var echoPort = FreePort();
        var linePort = FreePort();
        using var sample = SampleRun.Start("MultiService", [$"--Ports:Echo={echoPort}", $"--Ports:Line={linePort}"]);
        await sample.WaitForLine("Application started");

        Assert.Equal("hello", await Exchange(echoPort, "hello", "hello".Length));
        Assert.Equal("HELLO\r\nbye\r\n", await Exchange(linePort, "hello\r\nquit\r\n", "HELLO\r\nbye\r\n".Length));

        sample.Terminate();
        Assert.Equal(0, await sample.WaitForExit());
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task<string> Exchange(int port, string send, int expectLength)
    {
        using var client = new TcpClient();
        var token = TestContext.Current.CancellationToken;
        await client.ConnectAsync(IPAddress.Loopback, port, token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(send), token);
        var received = new StringBuilder();
        var buffer = new byte[256];
        while (received.Length < expectLength)
        {
            var n = await stream.ReadAsync(buffer, token);
            if (n == 0)
            {
                break;
            }
            received.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        return received.ToString();
    }
}
