using System.Net;
using System.Text.Json;
using AsyncCore.Testing;

namespace AsyncCore.Mail.Tests;

/// <summary>
/// AsyncCore's client (<see cref="Mail.SendMail"/>, <see cref="SmtpSender"/>) against a real aiosmtpd server (Debian
/// package python3-aiosmtpd) that each test starts as a child process on a free port: STARTTLS offered, AUTH
/// PLAIN/LOGIN after TLS only, "nobody*" recipients refused; every message it accepts is printed as one JSON line.
/// </summary>
public sealed class AiosmtpdPeerTests : ReactorTestBase
{
    private const string SinkScript = """
        import json, ssl, sys, warnings
        warnings.filterwarnings("ignore")
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"ada" and auth_data.password == b"s3cret"
            return AuthResult(success=ok, handled=False)

        class Sink:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address.startswith("nobody"):
                    return "550 5.1.1 No such user"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                print("MSG " + json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                    "peer": session.peer[1], "tls": session.ssl is not None, "auth": bool(session.authenticated),
                    "data": envelope.content.decode("utf-8", "replace")}), flush=True)
                return "250 2.0.0 Accepted"

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        controller = Controller(Sink(), hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=False,
                                authenticator=authenticator, auth_require_tls=True, auth_required=False)
        controller.start()
        print("READY", flush=True)
        sys.stdin.read()  # until the test closes stdin or kills the process
        controller.stop()
        """;

    private sealed record Received(string From, string[] To, int Peer, bool Tls, bool Auth, string Data);

    /// <summary>Starts the sink (on a worker thread); the process and the endpoint to send to.</summary>
    private static Deferred<(PeerProcess Sink, string Endpoint, DirectoryInfo Directory)> StartSink() =>
        Deferred.FromTask(Task.Run(async () =>
        {
            PeerProcess.RequireAiosmtpd();
            var directory = Directory.CreateTempSubdirectory("asynccore-aiosmtpd-");
            var (certificate, key) = TestCertificate.WritePem(directory.FullName);
            var script = Path.Combine(directory.FullName, "sink.py");
            await File.WriteAllTextAsync(script, SinkScript).ConfigureAwait(false);
            var port = PeerProcess.FreePort();
            var sink = PeerProcess.Start(PeerProcess.Python, script, port.ToString(System.Globalization.CultureInfo.InvariantCulture), certificate, key);
            await sink.Line("READY").ConfigureAwait(false);
            return (sink, $"tcp:127.0.0.1:{port}", directory);
        }));

    private static Deferred<Received> NextMessage(PeerProcess sink) =>
        Deferred.FromTask(Task.Run(async () =>
        {
            var line = await sink.Line("MSG ").ConfigureAwait(false);
            return JsonSerializer.Deserialize<Received>(line["MSG ".Length..], new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        }));

    private static Deferred<List<Received>> Messages(PeerProcess sink, int count) =>
        Deferred.FromTask(Task.Run(async () =>
        {
            var received = new List<Received>();
            while (received.Count < count)
            {
                await sink.Line("MSG ").ConfigureAwait(false);
                received = sink.Output.Split('\n').Where(l => l.StartsWith("MSG ", StringComparison.Ordinal))
                    .Select(l => JsonSerializer.Deserialize<Received>(l["MSG ".Length..], new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!)
                    .ToList();
                if (received.Count < count)
                {
                    await Task.Delay(50).ConfigureAwait(false);
                }
            }
            return received;
        }));

    private static void Stop(PeerProcess sink, DirectoryInfo directory)
    {
        sink.Dispose();
        directory.Delete(recursive: true);
    }

    [Fact]
    public Task SendMail_Plain_DeliversAndReportsTheRefusedRecipient() => RunOnReactor(async reactor =>
    {
        var (sink, endpoint, directory) = await StartSink();
        try
        {
            var result = await Mail.SendMail(reactor, endpoint, "ada@example.org", ["bob@example.org", "nobody@example.org"],
                EsmtpClientTests.NewMessage(".leading dot\r\nbody\r\n"));

            Assert.Equal(["bob@example.org"], result.Accepted.Select(r => r.Address));
            Assert.Equal(550, Assert.Single(result.Refused).Reply.Code);
            var received = await NextMessage(sink);
            Assert.Equal("ada@example.org", received.From);
            Assert.Equal(["bob@example.org"], received.To);
            Assert.False(received.Tls);
            // Dot-stuffing undone by the peer: the line starts with one dot again.
            Assert.Contains("\r\n.leading dot\r\n", received.Data.ReplaceLineEndings("\r\n"), StringComparison.Ordinal);
            await WhenConnectionsClosed(reactor);
            return true;
        }
        finally
        {
            Stop(sink, directory);
        }
    });

    [Fact]
    public Task SendMail_StartTlsThenAuth_DeliversEncryptedAndAuthenticated() => RunOnReactor(async reactor =>
    {
        var (sink, endpoint, directory) = await StartSink();
        try
        {
            var options = new SendMailOptions
            {
                StartTls = TestCertificate.Client,
                RequireTransportSecurity = true,
                Credentials = new NetworkCredential("ada", "s3cret"),
            };

            var result = await Mail.SendMail(reactor, endpoint, "ada@example.org", ["bob@example.org"], EsmtpClientTests.NewMessage(), options);

            Assert.Equal(["bob@example.org"], result.Accepted.Select(r => r.Address));
            var received = await NextMessage(sink);
            Assert.True(received.Tls);
            Assert.True(received.Auth);
            await WhenConnectionsClosed(reactor);
            return true;
        }
        finally
        {
            Stop(sink, directory);
        }
    });

    [Fact]
    public Task SendMail_WrongPassword_Fails535AndNothingArrives() => RunOnReactor(async reactor =>
    {
        var (sink, endpoint, directory) = await StartSink();
        try
        {
            var options = new SendMailOptions { StartTls = TestCertificate.Client, Credentials = new NetworkCredential("ada", "wrong") };

            var error = await Assert.ThrowsAsync<SmtpException>(() => Mail.SendMail(reactor, endpoint, "ada@example.org",
                ["bob@example.org"], EsmtpClientTests.NewMessage(), options).AsTask(TestContext.Current.CancellationToken));

            Assert.Equal(535, error.Reply?.Code);
            await WhenConnectionsClosed(reactor);
            Assert.DoesNotContain("MSG ", sink.Output, StringComparison.Ordinal);
            return true;
        }
        finally
        {
            Stop(sink, directory);
        }
    });

    [Fact]
    public Task SmtpSender_ReusesOneConnection_ForSeveralMessages() => RunOnReactor(async reactor =>
    {
        var (sink, endpoint, directory) = await StartSink();
        try
        {
            var sender = new SmtpSender(reactor, endpoint);
            var sends = Enumerable.Range(0, 5)
                .Select(i => sender.Send("ada@example.org", [$"r{i}@example.org"], EsmtpClientTests.NewMessage($"message {i}\r\n")))
                .ToList();
            foreach (var send in sends)
            {
                Assert.Single((await send).Accepted);
            }
            sender.Close();
            await WhenConnectionsClosed(reactor);
            var received = await Messages(sink, 5);
            // One connection (one client port) carried all five.
            Assert.Single(received.Select(m => m.Peer).Distinct());
            Assert.Equal(["r0@example.org", "r1@example.org", "r2@example.org", "r3@example.org", "r4@example.org"], received.SelectMany(m => m.To).Order());
            return true;
        }
        finally
        {
            Stop(sink, directory);
        }
    });
}
