using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using AsyncCore.Protocols;
using AsyncCore.Testing;
using AsyncCore.Transports;
using AsyncCore.Web.Client;

namespace AsyncCore.Web.Tests.Client;

using HttpResponse = AsyncCore.Web.Client.HttpResponse;

/// <summary>
/// The HTTP client's response parser against random responses from a real TCP server: every request ends, either with
/// a response whose body reads in full or with a <see cref="ResponseFailedException"/>; the parser never throws out of
/// the transport (the janitor fails the test on any logged error) and never hangs.
/// </summary>
public sealed class AgentFuzzTests : ReactorTestBase
{
    private static readonly string[] s_pieces =
    [
        "HTTP/1.1 ", "HTTP/1.0 ", "HTTP/2 ", "HTTP/1.1", "HTTP/9.9 ", "200", "204", "304", "100", "101", "999", "20", "-1",
        " OK", " ", "\t", "\r\n", "\n", "\r", ":", "Content-Length: ", "Content-Length: 5\r\n", "Content-Length: 1, 2\r\n",
        "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip, chunked\r\n", "Connection: close\r\n",
        "Connection: keep-alive\r\n", "X-A: b\r\n", " folded\r\n", "0", "5", "ff", "ffffffffffffffffffff", ";ext", "0\r\n\r\n",
        "5\r\nhello\r\n", "hello", "\0", "\xff", "\r\n\r\n",
    ];

    /// <summary>Often a plausible start, so the later states (headers, bodies, chunks) are reached too.</summary>
    private static readonly string[] s_starts =
    [
        "", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
    ];

    [Fact]
    public Task RandomResponses_EveryRequestEnds_WithABodyOrAResponseFailedException() => RunOnReactor(async reactor =>
    {
        var seed = Environment.GetEnvironmentVariable("AGENT_FUZZ_SEED") is { } fixedSeed
            ? int.Parse(fixedSeed, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed} (rerun with AGENT_FUZZ_SEED={seed})");
        var random = new Random(seed);
        var answers = new Queue<(byte[] Bytes, int[] Cuts)>();
        var port = reactor.ListenTcp(0, new ServerFactory(() => new CannedAnswer(reactor, answers.Dequeue())), interfaceAddress: "127.0.0.1");
        var url = $"http://127.0.0.1:{((IPEndPoint)port.GetHost()).Port}/";
        var (runs, responses, failures) = (0, 0, 0);
        var budget = Stopwatch.StartNew();
        // At least 50 responses even on a slow machine (the check below needs both outcomes), else 2 s worth.
        while (runs < 50 || budget.Elapsed < TimeSpan.FromSeconds(2))
        {
            runs++;
            var answer = Answer(random);
            answers.Enqueue(answer);
            var agent = new Agent(reactor, options: new AgentOptions { ReadTimeout = TimeSpan.FromSeconds(30) });
            var outcome = await agent.Get(url).AddBoth(static outcome => outcome);
            if (outcome.Failure is { } failure)
            {
                failures++;
                Assert.True(failure.Value is ResponseFailedException, $"seed {seed}, run {runs}: {failure.Value}");
            }
            else
            {
                responses++;
                var response = outcome.Value;
                Assert.InRange(response.Code, 100, 999);
                var body = await response.ReadBody().AddBoth(static outcome => outcome);
                if (body.Failure is { } bodyFailure)
                {
                    Assert.True(bodyFailure.Value is ResponseFailedException, $"seed {seed}, run {runs}: {bodyFailure.Value}");
                }
                else if (response.Length is { } length)
                {
                    Assert.Equal(length, body.Value.LongLength);
                }
            }
            await agent.Pool.CloseCachedConnections();
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{runs} responses: {responses} parsed, {failures} refused");
        Assert.True(responses > 0 && failures > 0, $"seed {seed}: {responses} parsed, {failures} refused");
        await WhenConnectionsClosed(reactor);
        await port.StopListening();
        return true;
    });

    private static (byte[] Bytes, int[] Cuts) Answer(Random random)
    {
        var text = new StringBuilder(s_starts[random.Next(s_starts.Length)]);
        for (var i = random.Next(0, 30); i > 0; i--)
        {
            text.Append(random.Next(10) == 0 ? new string((char)random.Next(32, 127), random.Next(1, 40)) : s_pieces[random.Next(s_pieces.Length)]);
        }
        var bytes = Encoding.Latin1.GetBytes(text.ToString());
        // Written in a few pieces, so some arrive in separate reads.
        var cuts = Enumerable.Range(0, random.Next(0, 4)).Select(_ => random.Next(0, bytes.Length + 1)).Order().ToArray();
        return (bytes, cuts);
    }

    /// <summary>Answers the first request head with the canned bytes, in pieces a reactor turn apart, then closes.</summary>
    private sealed class CannedAnswer(IReactorTime reactor, (byte[] Bytes, int[] Cuts) answer) : Protocol
    {
        private bool _answered;

        public override void DataReceived(ReadOnlySpan<byte> data)
        {
            if (_answered)
            {
                return;
            }
            _answered = true;
            Write(0, 0);
        }

        private void Write(int piece, int from)
        {
            if (!HasTransport || Transport.Disconnecting)
            {
                return;
            }
            var to = piece < answer.Cuts.Length ? answer.Cuts[piece] : answer.Bytes.Length;
            Transport.Write(answer.Bytes.AsSpan(from, to - from));
            if (piece < answer.Cuts.Length)
            {
                reactor.CallLater(TimeSpan.Zero, () => Write(piece + 1, to));
            }
            else
            {
                Transport.LoseConnection();
            }
        }
    }
}
