using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Tasks;

namespace AsyncCore.Tests.Protocols;

/// <summary>Ports of Twisted's protocols/test/test_basic.py LineReceiverTests and LineReceiverLineLengthExceededTests, plus edge cases.</summary>
public class LineReceiverTests
{
    private static readonly byte[] s_buffer = Encoding.ASCII.GetBytes(
        "len 10\n\n0123456789len 5\n\n1234\nlen 20\nfoo 123\n\n0123456789\n012345678len 0\nfoo 5\n\n" +
        "1234567890123456789012345678901234567890123456789012345678901234567890\nlen 1\n\na");

    private static readonly string[] s_output =
    [
        "len 10", "0123456789", "len 5", "1234\n", "len 20", "foo 123", "0123456789\n012345678", "len 0", "foo 5", "", "67890",
        "len 1", "a",
    ];

    private static LineTester Tester(Clock? clock = null, StringTransport? transport = null)
    {
        var tester = new LineTester(clock) { Delimiter = "\n"u8.ToArray(), MaxLength = 64 };
        tester.MakeConnection(transport ?? new StringTransport());
        return tester;
    }

    private static void Feed(LineReceiver receiver, byte[] data, int packetSize)
    {
        for (var i = 0; i < (data.Length / packetSize) + 1; i++)
        {
            var start = Math.Min(i * packetSize, data.Length);
            var end = Math.Min((i + 1) * packetSize, data.Length);
            receiver.DataReceived(data.AsSpan(start, end - start));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    public void DataReceived_AnyPacketSize_SameLinesAndRawData(int packetSize)
    {
        var tester = Tester();
        Feed(tester, s_buffer, packetSize);
        Assert.Equal(s_output, tester.ReceivedText);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(9)]
    public void PauseProducing_InsideLineReceived_StopsDeliveryUntilResumed(int packetSize)
    {
        var clock = new Clock();
        var tester = Tester(clock);
        Feed(tester, "twiddle1\ntwiddle2\npause\ntwiddle3\n"u8.ToArray(), packetSize);
        Assert.Equal(["twiddle1", "twiddle2", "pause"], tester.ReceivedText);
        clock.Advance(TimeSpan.Zero);
        Assert.Equal(["twiddle1", "twiddle2", "pause", "twiddle3"], tester.ReceivedText);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    public void PauseProducing_InRawMode_StopsDeliveryUntilResumed(int packetSize)
    {
        var clock = new Clock();
        var tester = Tester(clock);
        Feed(tester, "twiddle1\ntwiddle2\nlen 5\nrawpause\n12345twiddle3\n"u8.ToArray(), packetSize);
        Assert.Equal(["twiddle1", "twiddle2", "len 5", "rawpause", ""], tester.ReceivedText);
        clock.Advance(TimeSpan.Zero);
        Assert.Equal(["twiddle1", "twiddle2", "len 5", "rawpause", "12345", "twiddle3"], tester.ReceivedText);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(9)]
    public void StopProducing_InsideLineReceived_DeliversNothingMore(int packetSize)
    {
        var transport = new StringTransport();
        var tester = Tester(transport: transport);
        Feed(tester, "twiddle1\ntwiddle2\nstop\nmore\nstuff\n"u8.ToArray(), packetSize);
        Assert.Equal(["twiddle1", "twiddle2", "stop"], tester.ReceivedText);
        Assert.Equal(ProducerState.Stopped, transport.ProducerState);
    }

    [Fact]
    public void RegisterProducer_FromLineReceived_LinesKeepFlowing()
    {
        var transport = new StringTransport();
        var tester = Tester(transport: transport);
        tester.DataReceived("produce\nhello world\nunproduce\ngoodbye\n"u8);
        Assert.Equal(["produce", "hello world", "unproduce", "goodbye"], tester.ReceivedText);
        Assert.Null(transport.Producer);
    }

    [Fact]
    public void ClearLineBuffer_FromLineReceived_ReturnsAndDropsTheRest()
    {
        var receiver = new RecordingLineReceiver();
        byte[]? rest = null;
        receiver.OnLine = (r, _) => rest = r.ClearLineBuffer();
        receiver.DataReceived("foo\r\nbar\r\nbaz"u8);
        Assert.Equal(["foo"], receiver.Lines);
        Assert.Equal("bar\r\nbaz"u8.ToArray(), rest);
        receiver.DataReceived("quux\r\n"u8);
        Assert.Equal(["foo", "quux"], receiver.Lines);
        Assert.Empty(rest!);
    }

    [Fact]
    public void SetRawModeAndSetLineMode_ManyTimesOnOneBuffer_DoNotGrowTheStack()
    {
        var tester = new FlippingLineTester();
        tester.MakeConnection(new StringTransport());
        // Deep enough that a recursive implementation would overflow the stack; the user code re-feeds the rest, so cost is quadratic.
        const int Times = 20_000;
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("x\nx", Times)));
        tester.DataReceived(data);
        Assert.Equal(Times, tester.Lines.Count);
        Assert.All(tester.Lines, line => Assert.Equal("x"u8.ToArray(), line));
    }

    [Fact]
    public void DataReceived_CompleteLineLongerThanMaxLength_LosesConnection()
    {
        var receiver = new BareLineReceiver();
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.DataReceived(Encoding.ASCII.GetBytes(new string('x', receiver.MaxLength + 1) + "\r\nr"));
        Assert.True(transport.Disconnecting);
    }

    [Fact]
    public void DataReceived_LineAsLongAsMaxWithDelimiterSplitAcrossReads_IsDelivered()
    {
        var transport = new StringTransport();
        var tester = Tester(transport: transport);
        tester.MaxLength = 4;
        var line = "xxx"u8.ToArray();
        tester.DataReceived(line);
        tester.DataReceived([]);
        tester.DataReceived([(byte)'\n', .. line]);
        Assert.False(transport.Disconnecting);
        Assert.Equal(["xxx"], tester.ReceivedText);
    }

    [Fact]
    public void DataReceived_CrLfSplitAfterMaxLengthBytes_DoesNotDisconnect()
    {
        var receiver = new RecordingLineReceiver();
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.DataReceived(Encoding.ASCII.GetBytes(new string('x', receiver.MaxLength) + "\r"));
        Assert.False(transport.Disconnecting);
        receiver.DataReceived("\n"u8);
        Assert.Single(receiver.Lines);
        Assert.Equal(receiver.MaxLength, receiver.Lines[0].Length);
    }

    [Fact]
    public void DataReceived_UnfinishedLineReachingMaxPlusDelimiter_LosesConnection()
    {
        var receiver = new BareLineReceiver();
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.DataReceived(new byte[receiver.MaxLength + 2]);
        Assert.True(transport.Disconnecting);
    }

    [Fact]
    public void DataReceived_UnfinishedLineOneShortOfTheLimit_KeepsWaiting()
    {
        var receiver = new BareLineReceiver();
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.DataReceived(new byte[receiver.MaxLength + 1]);
        Assert.False(transport.Disconnecting);
    }

    [Fact]
    public void RawDataReceived_NotOverridden_Throws()
    {
        var receiver = new BareLineReceiver();
        receiver.MakeConnection(new StringTransport());
        receiver.SetRawMode();
        Assert.Throws<NotSupportedException>(() => receiver.DataReceived("data"u8));
    }

    [Fact]
    public void DataReceived_CallbackThrows_ExceptionPropagatesToTheTransport()
    {
        var receiver = new RecordingLineReceiver { OnLine = (_, _) => throw new InvalidOperationException("oops") };
        receiver.MakeConnection(new StringTransport());
        var error = Assert.Throws<InvalidOperationException>(() => receiver.DataReceived("a\r\n"u8));
        Assert.Equal("oops", error.Message);
    }

    private static ExcessivelyLargeLineCatcher Catcher()
    {
        var catcher = new ExcessivelyLargeLineCatcher { MaxLength = 6 };
        catcher.MakeConnection(new StringTransport());
        return catcher;
    }

    [Fact]
    public void LineLengthExceeded_LongUnendedLine_GetsAllTheBytes()
    {
        var catcher = Catcher();
        var excessive = new byte[(catcher.MaxLength * 2) + 2];
        Array.Fill(excessive, (byte)'x');
        catcher.DataReceived(excessive);
        Assert.Equal([excessive], catcher.LongLines);
    }

    [Fact]
    public void LineLengthExceeded_LongLineAfterShortLine_GetsBytesAfterTheShortLine()
    {
        var catcher = Catcher();
        var excessive = new byte[(catcher.MaxLength * 2) + 2];
        Array.Fill(excessive, (byte)'x');
        catcher.DataReceived([(byte)'x', .. catcher.Delimiter, .. excessive]);
        Assert.Equal([excessive], catcher.LongLines);
    }

    [Fact]
    public void LineLengthExceeded_LongLineWithDelimiter_GetsTheWholeBuffer()
    {
        var catcher = Catcher();
        var x = new string('x', (catcher.MaxLength * 2) + 2);
        var excessive = Encoding.ASCII.GetBytes(x + "\r\n" + x);
        catcher.DataReceived(excessive);
        Assert.Equal([excessive], catcher.LongLines);
    }

    [Fact]
    public void LineLengthExceeded_MultipleLongLines_GetsTheWholeBuffer()
    {
        var catcher = Catcher();
        var x = new string('x', (catcher.MaxLength * 2) + 2) + "\r\n";
        var excessive = Encoding.ASCII.GetBytes(x + x);
        catcher.DataReceived(excessive);
        Assert.Equal([excessive], catcher.LongLines);
    }

    [Fact]
    public void LineLengthExceeded_ExactlyMaxLengthLine_IsAccepted()
    {
        var catcher = Catcher();
        catcher.DataReceived("xxxxxx\r\n"u8);
        Assert.Empty(catcher.LongLines);
        Assert.Equal(["xxxxxx"u8.ToArray()], catcher.Lines);
    }

    [Fact]
    public void LineLengthExceeded_AfterALongLine_ParsingResumesWithNewData()
    {
        var catcher = Catcher();
        catcher.DataReceived("xxxxxxxxxxxxxxxxxx"u8);
        catcher.DataReceived("ok\r\n"u8);
        Assert.Single(catcher.LongLines);
        Assert.Equal(["ok"u8.ToArray()], catcher.Lines);
    }

    [Fact]
    public void DataReceived_LineSplitAcrossManyReads_IsReassembled()
    {
        var receiver = new RecordingLineReceiver();
        var line = new string('a', 10_000);
        var data = Encoding.ASCII.GetBytes(line + "\r\n");
        for (var i = 0; i < data.Length; i += 7)
        {
            receiver.DataReceived(data.AsSpan(i, Math.Min(7, data.Length - i)));
        }
        Assert.Equal([line], receiver.Lines);
    }

    [Fact]
    public void DataReceived_DelimiterSplitByteByByte_FindsTheLine()
    {
        var receiver = new RecordingLineReceiver { Delimiter = "<END>"u8.ToArray() };
        foreach (var b in "one<EN<END>two<END"u8.ToArray())
        {
            receiver.DataReceived([b]);
        }
        receiver.DataReceived(">"u8);
        Assert.Equal(["one<EN", "two"], receiver.Lines);
    }

    [Fact]
    public void DataReceived_EmptyLines_AreDelivered()
    {
        var receiver = new RecordingLineReceiver();
        receiver.DataReceived("\r\n\r\na\r\n"u8);
        Assert.Equal(["", "", "a"], receiver.Lines);
    }

    [Fact]
    public void DataReceived_LoneCarriageReturn_IsPartOfTheLine()
    {
        var receiver = new RecordingLineReceiver();
        receiver.DataReceived("a\rb\nc\r\n"u8);
        Assert.Equal(["a\rb\nc"], receiver.Lines);
    }

    [Fact]
    public void SetRawMode_InsideLineReceived_RestOfBufferGoesRaw()
    {
        var receiver = new RecordingLineReceiver();
        receiver.OnLine = (r, line) =>
        {
            if (line == "RAW")
            {
                r.SetRawMode();
            }
        };
        receiver.DataReceived("a\r\nRAW\r\nbinary\r\nstuff"u8);
        Assert.Equal(["a", "RAW"], receiver.Lines);
        Assert.Equal("binary\r\nstuff", Encoding.ASCII.GetString(receiver.Raw.SelectMany(b => b).ToArray()));
    }

    [Fact]
    public void SetLineMode_WithExtra_ParsesExtraAsLines()
    {
        var receiver = new RecordingLineReceiver();
        receiver.SetRawMode();
        receiver.DataReceived("raw"u8);
        receiver.SetLineMode("x\r\ny\r\nz"u8);
        Assert.Equal(["x", "y"], receiver.Lines);
        receiver.DataReceived("\r\n"u8);
        Assert.Equal(["x", "y", "z"], receiver.Lines);
    }

    [Fact]
    public void DataReceived_AfterLoseConnectionInLineReceived_StopsProcessing()
    {
        var receiver = new RecordingLineReceiver();
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.OnLine = (r, _) => r.Transport.LoseConnection();
        receiver.DataReceived("one\r\ntwo\r\nthree\r\n"u8);
        Assert.Equal(["one"], receiver.Lines);
    }

    [Fact]
    public void DataReceived_ReentrantFromLineReceived_OnlyAppends()
    {
        var receiver = new RecordingLineReceiver();
        receiver.OnLine = (r, line) =>
        {
            if (line == "first")
            {
                r.DataReceived("injected\r\n"u8);
                Assert.Single(r.Lines);
            }
        };
        receiver.DataReceived("first\r\nsecond\r\n"u8);
        Assert.Equal(["first", "second", "injected"], receiver.Lines);
    }

    [Fact]
    public void SendLine_WritesLineAndDelimiter()
    {
        var receiver = new RecordingLineReceiver();
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.SendLine("hello"u8);
        receiver.SendLine(new byte[1000]);
        var written = transport.Value();
        Assert.Equal("hello\r\n"u8.ToArray(), written[..7]);
        Assert.Equal(7 + 1002, written.Length);
        Assert.Equal("\r\n"u8.ToArray(), written[^2..]);
    }

    [Fact]
    public void PauseProducing_PausesTheTransportAndResumeDeliversBuffered()
    {
        var receiver = new RecordingLineReceiver();
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.PauseProducing();
        Assert.Equal(ProducerState.Paused, transport.ProducerState);
        receiver.DataReceived("a\r\nb\r\n"u8);
        Assert.Empty(receiver.Lines);
        receiver.ResumeProducing();
        Assert.Equal(ProducerState.Producing, transport.ProducerState);
        Assert.Equal(["a", "b"], receiver.Lines);
    }

    [Fact]
    public void Delimiter_Empty_IsRejected()
    {
        var receiver = new RecordingLineReceiver();
        Assert.Throws<ArgumentOutOfRangeException>(() => receiver.Delimiter = []);
    }

    [Fact]
    public void DataReceived_OverLoopback_LinesArriveAtThePeer()
    {
        var server = new RecordingLineReceiver();
        var client = new RecordingLineReceiver();
        var pump = Loopback.Connect(server, client);
        client.SendLine("hello"u8);
        client.SendLine("world"u8);
        pump.Flush();
        Assert.Equal(["hello", "world"], server.Lines);
    }
}
