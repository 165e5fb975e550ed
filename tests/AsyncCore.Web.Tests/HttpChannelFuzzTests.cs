using System.Diagnostics;
using System.Globalization;
using System.Text;
using AsyncCore.InMemory;

namespace AsyncCore.Web.Tests;

public sealed class HttpChannelFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] s_pieces =
    [
        "GET ", "POST ", "HEAD ", "PUT ", "G@T ", "/", "/hello", "/echo", "/later", "/async", "/boom", "/pieces", "?x=1",
        "%", "%zz", " HTTP/1.1", " HTTP/1.0", " HTTP/2.0", "\r\n", "\n", "\r", "Host: x\r\n", "Content-Length: ",
        "Transfer-Encoding: chunked\r\n", "Connection: close\r\n", "Expect: 100-continue\r\n", " ", "\t", ":", "0",
        "5", "ff", "ffffffffffffffffff", ";ext", "0\r\n\r\n", "abc", "\0", "\xff", "-1",
    ];

    [Fact]
    public void RandomInput_NeverThrows_AndEveryAnswerIsAStatusLine()
    {
        var seed = Environment.GetEnvironmentVariable("WEB_FUZZ_SEED") is { } fixedSeed ? int.Parse(fixedSeed, CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (rerun with WEB_FUZZ_SEED={seed})");
        var random = new Random(seed);
        var budget = Stopwatch.StartNew();
        var runs = 0;
        while (budget.Elapsed < TimeSpan.FromSeconds(2))
        {
            runs++;
            var (root, later, _) = TestSite.Build();
            var transport = new StringTransport();
            var channel = new Site(root, new WebServerOptions { MaxRequestLineLength = 64, MaxHeaderBytes = 200, MaxHeaderCount = 5, MaxBodySize = 100, MaxPipelineBuffer = 128 }).BuildProtocol(null)!;
            channel.MakeConnection(transport);
            var input = new StringBuilder();
            for (var i = random.Next(1, 40); i > 0; i--)
            {
                input.Append(random.Next(10) == 0 ? new string((char)random.Next(32, 127), random.Next(1, 80)) : s_pieces[random.Next(s_pieces.Length)]);
            }
            var bytes = Encoding.Latin1.GetBytes(input.ToString());
            for (var at = 0; at < bytes.Length;)
            {
                var size = Math.Min(bytes.Length - at, random.Next(1, 20));
                channel.DataReceived(bytes.AsSpan(at, size));
                at += size;
                if (random.Next(4) == 0 && later.Pending.Count > 0 && !later.Pending[^1].Finished && !later.Pending[^1].ClientGone)
                {
                    later.Pending[^1].Finish();
                }
            }
            var written = Encoding.Latin1.GetString(transport.Value());
            Assert.True(written.Length == 0 || written.StartsWith("HTTP/1.", StringComparison.Ordinal), $"seed {seed}: {written}");
            channel.ConnectionLost(new Failure(new AsyncCore.Protocols.ConnectionDoneException()));
        }
        output.WriteLine($"{runs} inputs");
    }
}
