using AsyncCore.Tests.Shared;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using AsyncCore.Endpoints;
using AsyncCore.Testing;

namespace AsyncCore.WebSockets.Tests;

/// <summary>
/// Debian's python3-autobahn (Autobahn|Python on Twisted) as the real peer, both ways, over TCP: text, binary,
/// fragmented and compressed messages and close codes. Skipped when python3-autobahn is missing, except in CI
/// (CI=true), where eng/services.sh installs it.
/// </summary>
public sealed class PythonPeerTests : ReactorTestBase
{
    private const string Python = "/usr/bin/python3";

    private static readonly Lazy<bool> s_autobahn = new(() =>
    {
        if (!File.Exists(Python))
        {
            return false;
        }
        using var check = Process.Start(new ProcessStartInfo(Python, ["-c", "import autobahn.twisted"]) { RedirectStandardError = true, UseShellExecute = false })!;
        check.WaitForExit();
        return check.ExitCode == 0;
    });

    private static void RequireAutobahn()
    {
        if (s_autobahn.Value)
        {
            return;
        }
        const string reason = "python3-autobahn is not installed (apt-get install python3-autobahn; run with /usr/bin/python3).";
        MissingPeer.SkipOrFail(reason);
    }

    private static string Peer(string name) => Path.Combine(AppContext.BaseDirectory, "Peers", name);

    private static ProcessStartInfo PythonStart(params string[] arguments) =>
        new(Python, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };

    [Fact]
    public Task AutobahnClient_AgainstAsyncCoreServer_TextBinaryFragmentedCompressed_CloseCode() => RunOnReactor(async reactor =>
    {
        RequireAutobahn();
        RecordingServer? server = null;
        var factory = new WebSocketServerFactory(reactor, () => server = new RecordingServer(), new WebSocketServerOptions { PerMessageDeflate = new() });
        var port = await Endpoint.ServerFromString(reactor, "tcp:0:interface=127.0.0.1").Listen(factory);
        var portNumber = ((IPEndPoint)port.GetHost()).Port;

        var output = await Deferred.FromTask(Task.Run(async () =>
        {
            using var process = Process.Start(PythonStart(Peer("client.py"), $"ws://127.0.0.1:{portNumber}/ws"))!;
            var stdout = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
            var stderr = await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
            await process.WaitForExitAsync().ConfigureAwait(false);
            return (stdout, stderr);
        }));

        var records = output.stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.True(records.Count == 6, output.stdout + output.stderr);
        Assert.StartsWith("PerMessageDeflate(", records[0].GetProperty("extensions")[0].GetString(), StringComparison.Ordinal);
        Assert.All(records.Skip(1).Take(4), r => Assert.True(r.GetProperty("same").GetBoolean(), r.ToString()));
        var close = records[5];
        Assert.True(close.GetProperty("wasClean").GetBoolean(), close.ToString());
        Assert.Equal(4000, close.GetProperty("code").GetInt32());

        await WhenConnectionsClosed(reactor);
        Assert.NotNull(server);
        Assert.True(server.CompressionNegotiated);
        Assert.Equal(4, server.Seen.Messages.Count);
        Assert.Equal([(true, (int?)4000, (string?)"bye")], server.Seen.Closes);
        await port.StopListening();
        return true;
    });

    [Fact]
    public Task AsyncCoreClient_AgainstAutobahnServer_TextBinaryFragmentedCompressed_Close() => RunOnReactor(async reactor =>
    {
        RequireAutobahn();
        var process = Process.Start(PythonStart(Peer("echo_server.py")))!;
        try
        {
            var first = await Deferred.FromTask(process.StandardOutput.ReadLineAsync());
            Assert.StartsWith("port ", first, StringComparison.Ordinal);
            var url = "ws://127.0.0.1:" + first!["port ".Length..] + "/";

            var large = string.Concat(Enumerable.Repeat("compress me ", 20000));
            var done = new Deferred<bool>();
            var client = new RecordingClient
            {
                OnOpenAction = c =>
                {
                    c.SendMessage("hello κόσμε");
                    c.SendMessage(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), isBinary: true);
                    c.SendMessage(Encoding.UTF8.GetBytes("fragmented message"), fragmentSize: 5);
                    c.SendMessage(large);
                },
                OnMessageAction = (c, _, _) =>
                {
                    if (c.Seen.Messages.Count == 4)
                    {
                        c.SendClose(1000, "all echoed");
                        done.Callback(true);
                    }
                },
            };
            // Patient close timeouts (1 s by default): a loaded machine must not turn this close into an unclean one.
            var opened = await WebSocketClient.Connect(reactor, url, client, new WebSocketClientOptions
            {
                PerMessageDeflate = new(),
                CloseHandshakeTimeout = TimeSpan.FromSeconds(30),
                ServerConnectionDropTimeout = TimeSpan.FromSeconds(30),
            });
            Assert.Same(client, opened);
            Assert.True(client.CompressionNegotiated);
            await done;
            await WhenConnectionsClosed(reactor);
            Assert.Equal(["hello κόσμε", "fragmented message", large], client.Seen.Texts);
            Assert.Equal(256, client.Seen.Messages[1].Payload.Length);
            Assert.Equal([(true, (int?)1000, (string?)"")], client.Seen.Closes.Select(c => (c.WasClean, c.Code, (string?)"")));
            var closeLine = await Deferred.FromTask(process.StandardOutput.ReadLineAsync());
            using var record = JsonDocument.Parse(closeLine!);
            Assert.True(record.RootElement.GetProperty("wasClean").GetBoolean(), closeLine);
            Assert.Equal(1000, record.RootElement.GetProperty("code").GetInt32());
        }
        finally
        {
            process.Kill();
            await Deferred.FromTask(process.WaitForExitAsync().ContinueWith(_ => true, TaskScheduler.Default));
            process.Dispose();
        }
        return true;
    });

    [Fact]
    public Task Client_UrlOfAServerThatRefuses_FailsWithTheStatus() => RunOnReactor(async reactor =>
    {
        var factory = new WebSocketServerFactory(reactor, () => new RecordingServer { Connecting = _ => throw new ConnectionDeniedException(403, "no") });
        var port = await Endpoint.ServerFromString(reactor, "tcp:0:interface=127.0.0.1").Listen(factory);
        var client = new RecordingClient();
        try
        {
            await WebSocketClient.Connect(reactor, $"ws://127.0.0.1:{((IPEndPoint)port.GetHost()).Port}/x", client);
            Assert.Fail("the handshake should have failed");
        }
        catch (WebSocketHandshakeException e)
        {
            Assert.Equal(403, e.StatusCode);
        }
        await WhenConnectionsClosed(reactor);
        Assert.Equal([(false, (int?)1006)], client.Seen.Closes.Select(c => (c.WasClean, c.Code)));
        await port.StopListening();
        return true;
    });
}
