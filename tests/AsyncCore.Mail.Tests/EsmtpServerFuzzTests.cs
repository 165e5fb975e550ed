using System.Diagnostics;
using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Tasks;

namespace AsyncCore.Mail.Tests;

public sealed class EsmtpServerFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] s_pieces =
    [
        "EHLO c\r\n", "HELO c\r\n", "MAIL FROM:<a@x>\r\n", "MAIL FROM:<a@x> SIZE=10\r\n", "MAIL FROM:<>\r\n",
        "RCPT TO:<b@y>\r\n", "RCPT TO:<nobody@y>\r\n", "RCPT TO:<é@y>\r\n", "DATA\r\n", "RSET\r\n", "NOOP\r\n",
        "VRFY x\r\n", ".\r\n", "..\r\n", "\r\n", "\r", "\n", ".", "MAIL", "FROM:<", ">", " ", "SIZE=", "99999999999999999999",
        "BODY=8BITMIME", "SMTPUTF8", "\0", "\xff", "x",
    ];

    [Fact]
    public void RandomInput_NeverThrowsAndEveryReplyIsWellFormed()
    {
        var seed = Environment.GetEnvironmentVariable("MAIL_FUZZ_SEED") is { } fixedSeed ? int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (rerun with MAIL_FUZZ_SEED={seed})");
        var random = new Random(seed);
        var budget = Stopwatch.StartNew();
        var runs = 0;
        while (budget.Elapsed < TimeSpan.FromSeconds(2))
        {
            runs++;
            var clock = new Clock();
            var transport = new StringTransport();
            var server = new EsmtpServer(clock, new Mailbox(), new EsmtpServerOptions { HostName = "mx", MaxCommandLength = 64, MaxMessageSize = 200, MaxRecipients = 3 });
            server.MakeConnection(transport);
            var input = new StringBuilder();
            for (var i = random.Next(1, 60); i > 0; i--)
            {
                input.Append(random.Next(10) == 0 ? new string((char)random.Next(32, 127), random.Next(1, 100)) : s_pieces[random.Next(s_pieces.Length)]);
            }
            var bytes = Encoding.Latin1.GetBytes(input.ToString());
            for (var at = 0; at < bytes.Length && !transport.Disconnecting;)
            {
                var n = Math.Min(bytes.Length - at, random.Next(1, 40));
                server.DataReceived(bytes.AsSpan(at, n));
                at += n;
                clock.Advance(TimeSpan.Zero);
            }
            var replies = Encoding.UTF8.GetString(transport.Value());
            Assert.EndsWith("\r\n", replies);
            foreach (var line in replies.Split("\r\n")[..^1])
            {
                Assert.Matches(@"^[2-5]\d\d[ -]", line);
            }
        }
        output.WriteLine($"{runs} conversations");
    }
}
