using System.Diagnostics;
using AsyncCore.Testing;

namespace AsyncCore.WebSockets.Tests;

/// <summary>
/// Random byte streams, mostly made of plausible frames with mutations, fed to a server in random chunks for a fixed
/// time: whatever arrives, nothing throws, and the server either stays open or fails with a close code it may send.
/// </summary>
public sealed class FuzzTests : ReactorTestBase
{
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(2);

    [Fact]
    public void Parser_FixedSeed() => Fuzz(20261203);

    [Fact]
    public void Parser_RandomSeed() => Fuzz(Random.Shared.Next());

    private void Fuzz(int seed)
    {
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        var runs = 0;
        while (clock.Elapsed < s_budget || runs < 50)
        {
            runs++;
            var stream = RandomStream(random);
            var compressed = random.Next(2) == 0;
            try
            {
                var h = new ServerHarness(Clock, new WebSocketServerOptions { MaxMessagePayloadSize = 4096, PerMessageDeflate = compressed ? new() : null },
                    extensions: compressed ? "permessage-deflate" : null);
                for (var at = 0; at < stream.Length;)
                {
                    var take = Math.Min(stream.Length - at, random.Next(1, 64));
                    h.Send(stream[at..(at + take)]);
                    at += take;
                }
                var frames = h.Frames();
                var closes = frames.Where(f => f.Opcode == WireFrame.Close).ToList();
                Assert.True(closes.Count <= 1, "at most one close frame");
                if (closes.Count == 1)
                {
                    Assert.Same(closes[0], frames[^1]);
                    Assert.True(closes[0].CloseCode is null or 1000 or 1002 or 1007 or 1009 || WebSocketCloseCode.IsValidOnWire(closes[0].CloseCode!.Value));
                    Assert.True(h.Transport.Disconnecting);
                }
                h.Drop(clean: random.Next(2) == 0);
                Assert.Single(h.Seen.Closes);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new Xunit.Sdk.XunitException($"Fuzz run {runs} with seed {seed} failed on the stream {Convert.ToHexString(stream)}: {e}");
            }
        }
    }

    private static byte[] RandomStream(Random random)
    {
        var output = new MemoryStream();
        var frames = random.Next(1, 8);
        for (var i = 0; i < frames; i++)
        {
            var opcode = random.Next(10) switch
            {
                < 3 => WireFrame.Text,
                < 5 => WireFrame.Binary,
                5 => WireFrame.Continuation,
                6 => WireFrame.Ping,
                7 => WireFrame.Pong,
                8 => WireFrame.Close,
                _ => random.Next(16),
            };
            var payload = new byte[random.Next(4) == 0 ? random.Next(300) : random.Next(20)];
            if (random.Next(2) == 0)
            {
                random.NextBytes(payload);
            }
            else
            {
                for (var j = 0; j < payload.Length; j++)
                {
                    payload[j] = (byte)random.Next(0x20, 0x7f);
                }
            }
            var frame = WireFrame.Encode(opcode, payload, fin: random.Next(4) != 0, rsv: random.Next(8) == 0 ? random.Next(8) : 0, mask: random.Next(20) != 0);
            if (random.Next(6) == 0)
            {
                frame[random.Next(frame.Length)] ^= (byte)(1 << random.Next(8));
            }
            output.Write(frame);
        }
        if (random.Next(5) == 0)
        {
            var junk = new byte[random.Next(1, 40)];
            random.NextBytes(junk);
            output.Write(junk);
        }
        return output.ToArray();
    }
}
