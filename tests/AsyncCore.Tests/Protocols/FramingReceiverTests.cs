using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;

namespace AsyncCore.Tests.Protocols;

/// <summary>LineOnlyReceiver, IntNStringReceiver and NetstringReceiver (Twisted's test_basic.py).</summary>
public partial class FramingReceiverTests
{
    private sealed class LineOnlyTester : LineOnlyReceiver
    {
        public LineOnlyTester()
        {
            Delimiter = "\n"u8.ToArray();
            MaxLength = 64;
        }

        public List<string> Received { get; } = [];

        protected override void LineReceived(ReadOnlySpan<byte> line) => Received.Add(Encoding.ASCII.GetString(line));
    }

    private sealed class Int32Tester : Int32StringReceiver
    {
        public List<byte[]> Received { get; } = [];

        public long? Exceeded { get; private set; }

        protected override void StringReceived(ReadOnlySpan<byte> data) => Received.Add(data.ToArray());

        protected override void LengthLimitExceeded(long length)
        {
            Exceeded = length;
            base.LengthLimitExceeded(length);
        }
    }

    private sealed class Int16Tester : Int16StringReceiver
    {
        public List<byte[]> Received { get; } = [];

        public long? Exceeded { get; private set; }

        protected override void StringReceived(ReadOnlySpan<byte> data) => Received.Add(data.ToArray());

        protected override void LengthLimitExceeded(long length)
        {
            Exceeded = length;
            base.LengthLimitExceeded(length);
        }
    }

    private sealed class Int8Tester : Int8StringReceiver
    {
        protected override void StringReceived(ReadOnlySpan<byte> data)
        {
        }
    }

    private sealed class NetstringTester : NetstringReceiver
    {
        public NetstringTester() => MaxLength = 50;

        public List<byte[]> Received { get; } = [];

        protected override void StringReceived(ReadOnlySpan<byte> data) => Received.Add(data.ToArray());
    }

    [Fact]
    public void LineOnlyReceiver_ByteByByte_DeliversEveryLine()
    {
        const string Buffer = "foo\n    bleakness\n    desolation\n    plastic forks\n    ";
        var tester = new LineOnlyTester();
        tester.MakeConnection(new StringTransport());
        foreach (var b in Encoding.ASCII.GetBytes(Buffer))
        {
            tester.DataReceived([b]);
        }
        Assert.Equal(Buffer.Split('\n')[..^1], tester.Received);
    }

    [Fact]
    public void LineOnlyReceiver_LineLongerThanMaxLength_LosesConnection()
    {
        var tester = new LineOnlyTester();
        var transport = new StringTransport();
        tester.MakeConnection(transport);
        tester.DataReceived(Encoding.ASCII.GetBytes(new string('x', tester.MaxLength + 2) + "\r\nr"));
        Assert.True(transport.Disconnecting);
    }

    [Fact]
    public void LineOnlyReceiver_UnfinishedLineAtMaxLength_KeepsWaiting()
    {
        var tester = new LineOnlyTester();
        var transport = new StringTransport();
        tester.MakeConnection(transport);
        tester.DataReceived(new byte[tester.MaxLength]);
        Assert.False(transport.Disconnecting);
    }

    [Fact]
    public void LineOnlyReceiver_SendLine_AppendsDelimiter()
    {
        var tester = new LineOnlyTester();
        var transport = new StringTransport();
        tester.MakeConnection(transport);
        tester.SendLine("abc"u8);
        Assert.Equal("abc\n"u8.ToArray(), transport.Value());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void Int32StringReceiver_AnyChunking_DeliversStrings(int packetSize)
    {
        var sender = new Int32Tester();
        var transport = new StringTransport();
        sender.MakeConnection(transport);
        byte[][] strings = ["hello"u8.ToArray(), "world"u8.ToArray(), [], new byte[515]];
        foreach (var s in strings)
        {
            sender.SendString(s);
        }
        var wire = transport.Value();
        var receiver = new Int32Tester();
        receiver.MakeConnection(new StringTransport());
        for (var i = 0; i < wire.Length; i += packetSize)
        {
            receiver.DataReceived(wire.AsSpan(i, Math.Min(packetSize, wire.Length - i)));
        }
        Assert.Equal(strings, receiver.Received);
    }

    [Fact]
    public void Int32StringReceiver_Prefix_IsBigEndian()
    {
        var sender = new Int32Tester();
        var transport = new StringTransport();
        sender.MakeConnection(transport);
        sender.SendString("abc"u8);
        Assert.Equal(new byte[] { 0, 0, 0, 3, (byte)'a', (byte)'b', (byte)'c' }, transport.Value());
    }

    [Fact]
    public void IntNStringReceiver_LengthAboveMax_CallsLengthLimitExceededAndDeliversNothing()
    {
        var receiver = new Int16Tester { MaxLength = 10 };
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.DataReceived([0, 11, .. new byte[11]]);
        Assert.Equal(11, receiver.Exceeded);
        Assert.Empty(receiver.Received);
        Assert.True(transport.Disconnecting);
    }

    [Fact]
    public void Int8StringReceiver_SendTooLong_Throws()
    {
        var receiver = new Int8Tester();
        receiver.MakeConnection(new StringTransport());
        Assert.Throws<StringTooLongException>(() => receiver.SendString(new byte[256]));
    }

    [Fact]
    public void IntNStringReceiver_Paused_HoldsStringsUntilResumed()
    {
        var receiver = new Int32Tester();
        receiver.MakeConnection(new StringTransport());
        receiver.PauseProducing();
        receiver.DataReceived([0, 0, 0, 1, (byte)'a', 0, 0, 0, 1, (byte)'b']);
        Assert.Empty(receiver.Received);
        receiver.ResumeProducing();
        Assert.Equal(2, receiver.Received.Count);
    }

    [Theory]
    [InlineData("0:,", "")]
    [InlineData("1:a,", "a")]
    [InlineData("2:ab,", "ab")]
    [InlineData("4:1:a,,", "1:a,")]
    public void NetstringReceiver_ValidNetstring_IsDelivered(string wire, string expected)
    {
        var receiver = new NetstringTester();
        receiver.MakeConnection(new StringTransport());
        receiver.DataReceived(Encoding.ASCII.GetBytes(wire));
        Assert.Equal([Encoding.ASCII.GetBytes(expected)], receiver.Received);
    }

    [Theory]
    [InlineData("9999999999999999999999")]
    [InlineData("abc")]
    [InlineData("4:abcde")]
    [InlineData("51:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab,")]
    [InlineData("2:aaa,")]
    [InlineData("0:a,")]
    [InlineData(":aaa,")]
    [InlineData("3aaa,")]
    [InlineData("01:a,")]
    public void NetstringReceiver_IllegalInput_MarksBrokenPeerAndCloses(string wire)
    {
        var receiver = new NetstringTester();
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        foreach (var b in Encoding.ASCII.GetBytes(wire))
        {
            receiver.DataReceived([b]);
        }
        Assert.True(transport.Disconnecting);
        Assert.True(receiver.BrokenPeer);
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public void NetstringReceiver_SendString_RoundTripsInChunks()
    {
        var sender = new NetstringTester { MaxLength = 699 };
        var transport = new StringTransport();
        sender.MakeConnection(transport);
        byte[][] strings = ["hello"u8.ToArray(), ":today"u8.ToArray(), Encoding.ASCII.GetBytes(new string('a', 515))];
        foreach (var s in strings)
        {
            sender.SendString(s);
        }
        var receiver = new NetstringTester { MaxLength = 699 };
        receiver.MakeConnection(new StringTransport());
        var wire = transport.Value();
        for (var i = 0; i < wire.Length; i += 4)
        {
            receiver.DataReceived(wire.AsSpan(i, Math.Min(4, wire.Length - i)));
        }
        Assert.Equal(strings, receiver.Received);
    }
}
