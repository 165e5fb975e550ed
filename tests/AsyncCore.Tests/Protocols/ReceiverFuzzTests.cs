using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;

namespace AsyncCore.Tests.Protocols;

/// <summary>
/// The framing receivers deliver the same messages, and close in the same cases, however the same bytes are split into
/// reads (issue 18); each is also checked against a plain model of its framing. Like a socket transport, the driver stops
/// feeding once the receiver closed the connection.
/// </summary>
public class ReceiverFuzzTests
{
    private static readonly byte[][] s_delimiters = [[.. "\r\n"u8], [.. "\n"u8], [.. "ab"u8], [.. "aba"u8], [.. "aab"u8], [0], [.. "\r\n\r\n"u8]];

    private interface IRecording
    {
        List<byte[]> Received { get; }
    }

    private sealed class Lines : LineReceiver, IRecording
    {
        public List<byte[]> Received { get; } = [];

        protected override void LineReceived(ReadOnlySpan<byte> line) => Received.Add(line.ToArray());
    }

    private sealed class OnlyLines : LineOnlyReceiver, IRecording
    {
        public List<byte[]> Received { get; } = [];

        protected override void LineReceived(ReadOnlySpan<byte> line) => Received.Add(line.ToArray());
    }

    private sealed class Prefixed(int prefixLength) : IntNStringReceiver(prefixLength), IRecording
    {
        public List<byte[]> Received { get; } = [];

        protected override void StringReceived(ReadOnlySpan<byte> data) => Received.Add(data.ToArray());
    }

    private sealed class Netstrings : NetstringReceiver, IRecording
    {
        public List<byte[]> Received { get; } = [];

        protected override void StringReceived(ReadOnlySpan<byte> data) => Received.Add(data.ToArray());
    }

    private sealed record Outcome(List<byte[]> Messages, bool Closed)
    {
        public string Describe() =>
            $"{(Closed ? "closed" : "open")} after [{string.Join(", ", Messages.Select(m => "\"" + Encoding.Latin1.GetString(m).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\""))}]";
    }

    private static Outcome Feed<T>(Func<T> make, byte[] wire, List<int> chunks) where T : Protocol, IRecording
    {
        var receiver = make();
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        var offset = 0;
        foreach (var chunk in chunks)
        {
            if (transport.Disconnecting)
            {
                break;
            }
            receiver.DataReceived(wire.AsSpan(offset, chunk));
            offset += chunk;
        }
        return new Outcome(receiver.Received, transport.Disconnecting);
    }

    private static void AssertSame(Outcome expected, Outcome actual, byte[] wire, List<int> chunks)
    {
        var same = expected.Closed == actual.Closed && expected.Messages.Count == actual.Messages.Count
            && expected.Messages.Zip(actual.Messages).All(p => p.First.AsSpan().SequenceEqual(p.Second));
        Assert.True(same,
            $"wire \"{Convert.ToHexString(wire)}\" in chunks [{string.Join(",", chunks)}]: expected {expected.Describe()}, got {actual.Describe()}");
    }

    /// <summary>Bytes made mostly of delimiter pieces, so that delimiters and near-misses are frequent.</summary>
    private static byte[] LineBytes(Random random, byte[] delimiter)
    {
        var bytes = new List<byte>();
        var pieces = random.Next(0, 12);
        for (var i = 0; i < pieces; i++)
        {
            switch (random.Next(4))
            {
                case 0:
                    bytes.AddRange(delimiter);
                    break;
                case 1:
                    bytes.AddRange(delimiter.AsSpan(0, random.Next(delimiter.Length + 1)));
                    break;
                default:
                    var run = random.Next(0, 10);
                    for (var j = 0; j < run; j++)
                    {
                        bytes.Add("ab\r\nx\0"u8[random.Next(6)]);
                    }
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>The line framing with a length limit: what a receiver delivers from all of <paramref name="wire"/> at once.</summary>
    private static Outcome LineModel(byte[] wire, byte[] delimiter, int maxLength)
    {
        var lines = new List<byte[]>();
        var rest = wire.AsSpan();
        while (true)
        {
            var index = rest.IndexOf(delimiter);
            if (index < 0)
            {
                // An unfinished line that cannot end within the limit, whatever comes next.
                return new Outcome(lines, rest.Length >= maxLength + delimiter.Length);
            }
            if (index > maxLength)
            {
                return new Outcome(lines, true);
            }
            lines.Add(rest[..index].ToArray());
            rest = rest[(index + delimiter.Length)..];
        }
    }

    [Fact]
    public void LineReceiver_AnyChunking_DeliversTheSameLines()
    {
        Fuzz.Run(nameof(LineReceiver_AnyChunking_DeliversTheSameLines), fixedSeed: 1801, random =>
        {
            var delimiter = s_delimiters[random.Next(s_delimiters.Length)];
            var maxLength = random.Next(0, 12);
            var wire = LineBytes(random, delimiter);
            var chunks = Fuzz.Chunking(random, wire.Length);
            var expected = LineModel(wire, delimiter, maxLength);
            AssertSame(expected, Feed(() => new Lines { Delimiter = delimiter, MaxLength = maxLength }, wire, [wire.Length]), wire, [wire.Length]);
            AssertSame(expected, Feed(() => new Lines { Delimiter = delimiter, MaxLength = maxLength }, wire, chunks), wire, chunks);
        });
    }

    [Fact]
    public void LineOnlyReceiver_AnyChunking_DeliversTheSameLines()
    {
        Fuzz.Run(nameof(LineOnlyReceiver_AnyChunking_DeliversTheSameLines), fixedSeed: 1802, random =>
        {
            var delimiter = s_delimiters[random.Next(s_delimiters.Length)];
            var maxLength = random.Next(0, 12);
            var wire = LineBytes(random, delimiter);
            var chunks = Fuzz.Chunking(random, wire.Length);
            var expected = LineModel(wire, delimiter, maxLength);
            AssertSame(expected, Feed(() => new OnlyLines { Delimiter = delimiter, MaxLength = maxLength }, wire, [wire.Length]), wire, [wire.Length]);
            AssertSame(expected, Feed(() => new OnlyLines { Delimiter = delimiter, MaxLength = maxLength }, wire, chunks), wire, chunks);
        });
    }

    [Fact]
    public void IntNStringReceivers_AnyChunking_DeliverTheSameStrings()
    {
        Fuzz.Run(nameof(IntNStringReceivers_AnyChunking_DeliverTheSameStrings), fixedSeed: 1803, random =>
        {
            var prefix = new[] { 1, 2, 4 }[random.Next(3)];
            var maxLength = random.Next(4) == 0 ? long.MaxValue : random.Next(0, 300);
            var wire = new List<byte>();
            var expected = new List<byte[]>();
            var closed = false;
            var count = random.Next(0, 8);
            for (var i = 0; i < count; i++)
            {
                var length = random.Next(8) == 0 ? random.Next(0, prefix == 1 ? 256 : 400) : random.Next(0, 20);
                var message = new byte[length];
                random.NextBytes(message);
                var header = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(header, (uint)length);
                wire.AddRange(header.AsSpan(4 - prefix));
                wire.AddRange(message);
                if (!closed && length > maxLength)
                {
                    closed = true;
                }
                else if (!closed)
                {
                    expected.Add(message);
                }
            }
            if (random.Next(4) == 0)
            {
                // A truncated last string: never delivered, and no reason to close.
                wire.AddRange(new byte[random.Next(0, prefix)]);
            }
            var bytes = wire.ToArray();
            var model = new Outcome(expected, closed);
            var chunks = Fuzz.Chunking(random, bytes.Length);
            AssertSame(model, Feed(() => new Prefixed(prefix) { MaxLength = maxLength }, bytes, [bytes.Length]), bytes, [bytes.Length]);
            AssertSame(model, Feed(() => new Prefixed(prefix) { MaxLength = maxLength }, bytes, chunks), bytes, chunks);
        });
    }

    /// <summary>Netstrings, some of them damaged.</summary>
    private static byte[] NetstringBytes(Random random)
    {
        var wire = new StringBuilder();
        var count = random.Next(0, 6);
        for (var i = 0; i < count; i++)
        {
            var body = new string('a', random.Next(8) == 0 ? random.Next(0, 200) : random.Next(0, 12));
            var text = body.Length.ToString(CultureInfo.InvariantCulture) + ":" + body + ",";
            if (random.Next(6) == 0)
            {
                var damage = random.Next(text.Length);
                text = random.Next(3) switch
                {
                    0 => text.Remove(damage, 1),
                    1 => text.Insert(damage, ":,0123456789x"[random.Next(13)].ToString()),
                    _ => text.Remove(damage, 1).Insert(damage, ":,09x"[random.Next(5)].ToString()),
                };
            }
            wire.Append(text);
        }
        if (random.Next(8) == 0)
        {
            wire.Append(new string('9', random.Next(1, 40))).Append(':');
        }
        return Encoding.ASCII.GetBytes(wire.ToString());
    }

    /// <summary>The netstring grammar (leading zeros, non-digits, missing colon or comma, or a length above the limit break the peer).</summary>
    private static Outcome NetstringModel(byte[] wire, long maxLength)
    {
        var strings = new List<byte[]>();
        var at = 0;
        while (at < wire.Length)
        {
            var start = at;
            long length = 0;
            while (at < wire.Length && wire[at] != (byte)':')
            {
                var b = wire[at];
                if (b is < (byte)'0' or > (byte)'9' || (at - start == 1 && length == 0))
                {
                    return new Outcome(strings, true);
                }
                length = (length * 10) + (b - '0');
                if (length > maxLength)
                {
                    return new Outcome(strings, true);
                }
                at++;
            }
            if (at == wire.Length)
            {
                return new Outcome(strings, false);
            }
            if (at == start)
            {
                return new Outcome(strings, true);
            }
            at++;
            if (wire.Length - at < length + 1)
            {
                return new Outcome(strings, false);
            }
            if (wire[at + (int)length] != (byte)',')
            {
                return new Outcome(strings, true);
            }
            strings.Add(wire.AsSpan(at, (int)length).ToArray());
            at += (int)length + 1;
        }
        return new Outcome(strings, false);
    }

    [Fact]
    public void NetstringReceiver_AnyChunking_DeliversTheSameStrings()
    {
        Fuzz.Run(nameof(NetstringReceiver_AnyChunking_DeliversTheSameStrings), fixedSeed: 1804, random =>
        {
            var maxLength = random.Next(4) == 0 ? long.MaxValue : random.Next(0, 150);
            var wire = NetstringBytes(random);
            var expected = NetstringModel(wire, Math.Min(maxLength, Array.MaxLength - 1));
            var chunks = Fuzz.Chunking(random, wire.Length);
            AssertSame(expected, Feed(() => new Netstrings { MaxLength = maxLength }, wire, [wire.Length]), wire, [wire.Length]);
            var chunked = Feed(() => new Netstrings { MaxLength = maxLength }, wire, chunks);
            AssertSame(expected, chunked, wire, chunks);
        });
    }
}
