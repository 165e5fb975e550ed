using System.Text;
using AsyncCore.Testing;

namespace AsyncCore.WebSockets.Tests;

/// <summary>
/// The Autobahn|Testsuite's case groups 1-7 and 9 (the fuzzing client against this server), ported as unit tests over
/// an in-memory transport: each sends the case's bytes and checks the server's answer. Case numbers are Autobahn's.
/// </summary>
public sealed class AutobahnCaseTests : ReactorTestBase
{
    private static byte[] Bytes(int length, byte fill = (byte)'*') => Enumerable.Repeat(fill, length).ToArray();

    // ---- 1 Framing: lengths on each side of the 7-, 16- and 64-bit encodings, echoed byte for byte.
    [Theory]
    [InlineData(0, false)]
    [InlineData(125, false)]
    [InlineData(126, false)]
    [InlineData(127, false)]
    [InlineData(128, false)]
    [InlineData(65535, false)]
    [InlineData(65536, false)]
    [InlineData(0, true)]
    [InlineData(125, true)]
    [InlineData(126, true)]
    [InlineData(65535, true)]
    [InlineData(65536, true)]
    public void Case1_Framing_EchoesEveryLengthEncoding(int length, bool binary)
    {
        var h = new ServerHarness(Clock);
        var payload = binary ? Enumerable.Range(0, length).Select(i => (byte)i).ToArray() : Bytes(length);
        h.Send(WireFrame.Encode(binary ? WireFrame.Binary : WireFrame.Text, payload));
        var echo = Assert.Single(h.Frames());
        Assert.Equal(binary ? WireFrame.Binary : WireFrame.Text, echo.Opcode);
        Assert.False(echo.Masked);
        Assert.Equal(payload, echo.Payload);
        h.AssertCleanClose();
    }

    [Fact]
    public void Case1_1_8_FrameInChunksOf997_IsEchoedWhole()
    {
        var h = new ServerHarness(Clock);
        var payload = Bytes(65536);
        h.SendChopped(WireFrame.Encode(WireFrame.Text, payload), 997);
        Assert.Equal(payload, Assert.Single(h.Frames()).Payload);
    }

    // ---- 2 Pings/Pongs
    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(125)]
    public void Case2_Ping_AnsweredWithTheSamePayload(int length)
    {
        var h = new ServerHarness(Clock);
        var payload = Enumerable.Range(0, length).Select(i => (byte)(255 - i)).ToArray();
        h.Send(WireFrame.Encode(WireFrame.Ping, payload));
        var pong = Assert.Single(h.Frames());
        Assert.Equal(WireFrame.Pong, pong.Opcode);
        Assert.Equal(payload, pong.Payload);
        Assert.Equal(payload, Assert.Single(h.Seen.Pings));
    }

    [Fact]
    public void Case2_5_PingOf126Bytes_FailsWith1002()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Ping, Bytes(126)));
        h.AssertFailed(1002);
        Assert.Empty(h.Seen.Pings);
    }

    [Fact]
    public void Case2_6_PingInOneByteChunks_Answered()
    {
        var h = new ServerHarness(Clock);
        h.SendChopped(WireFrame.Encode(WireFrame.Ping, Bytes(125, 0xfe)), 1);
        Assert.Equal(Bytes(125, 0xfe), Assert.Single(h.Frames()).Payload);
    }

    [Fact]
    public void Case2_7to2_9_UnsolicitedPongs_AreIgnored_ThenPingAnswered()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Pong, []), WireFrame.Encode(WireFrame.Pong, "unsolicited"u8), WireFrame.Encode(WireFrame.Ping, "ping"u8));
        var frame = Assert.Single(h.Frames());
        Assert.Equal((WireFrame.Pong, "ping"), (frame.Opcode, frame.Text8));
        Assert.Equal(2, h.Seen.Pongs.Count);
    }

    [Fact]
    public void Case2_10_TenPings_TenPongsInOrder()
    {
        var h = new ServerHarness(Clock);
        for (var i = 0; i < 10; i++)
        {
            h.SendChopped(WireFrame.Encode(WireFrame.Ping, Encoding.ASCII.GetBytes("p" + i)), 3);
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "p" + i), h.Frames().Select(f => f.Text8));
    }

    // ---- 3 Reserved bits
    [Theory]
    [InlineData(WireFrame.Text, 1)]
    [InlineData(WireFrame.Text, 2)]
    [InlineData(WireFrame.Text, 4)]
    [InlineData(WireFrame.Text, 3)]
    [InlineData(WireFrame.Binary, 5)]
    [InlineData(WireFrame.Ping, 6)]
    [InlineData(WireFrame.Close, 7)]
    public void Case3_ReservedBits_FailWith1002_AfterEarlierFramesWereProcessed(int opcode, int rsv)
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Text1("before"), WireFrame.Encode(opcode, "x"u8, rsv: rsv), WireFrame.Encode(WireFrame.Ping, "after"u8));
        var frames = h.Frames();
        Assert.Equal("before", frames[0].Text8);
        Assert.Equal(2, frames.Count); // The ping after the bad frame is not answered.
        h.AssertFailed(1002, frames);
    }

    // ---- 4 Opcodes
    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    public void Case4_ReservedOpcodes_FailWith1002(int opcode)
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Text1("before"), WireFrame.Encode(opcode, opcode % 2 == 0 ? [] : "payload"u8.ToArray()), WireFrame.Encode(WireFrame.Ping, []));
        var frames = h.Frames();
        Assert.Equal("before", frames[0].Text8);
        h.AssertFailed(1002, frames);
    }

    // ---- 5 Fragmentation
    [Theory]
    [InlineData(WireFrame.Ping)]
    [InlineData(WireFrame.Pong)]
    [InlineData(WireFrame.Close)]
    public void Case5_1_FragmentedControlFrame_FailsWith1002(int opcode)
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(opcode, "frag"u8, fin: false), WireFrame.Encode(WireFrame.Continuation, "ment"u8));
        h.AssertFailed(1002);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1000)]
    public void Case5_3to5_5_FragmentedText_Reassembled_EvenChopped(int chunk)
    {
        var h = new ServerHarness(Clock);
        var bytes = WireFrame.Encode(WireFrame.Text, "frag"u8, fin: false).Concat(WireFrame.Encode(WireFrame.Continuation, "ment"u8, fin: false))
            .Concat(WireFrame.Encode(WireFrame.Continuation, "ed"u8)).ToArray();
        h.SendChopped(bytes, chunk);
        Assert.Equal(["fragmented"], h.Seen.Texts);
    }

    [Fact]
    public void Case5_6to5_8_PingBetweenFragments_AnsweredFirst()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Text, "frag"u8, fin: false), WireFrame.Encode(WireFrame.Ping, "p"u8), WireFrame.Encode(WireFrame.Continuation, "ment"u8));
        var frames = h.Frames();
        Assert.Equal([(WireFrame.Pong, "p"), (WireFrame.Text, "fragment")], frames.Select(f => (f.Opcode, f.Text8)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Case5_9to5_14_ContinuationWithNothingToContinue_FailsWith1002(bool fin)
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Continuation, "x"u8, fin: fin), WireFrame.Text1("never echoed"));
        h.AssertFailed(1002);
        Assert.Empty(h.Seen.Messages);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Case5_15to5_18_NewDataFrameInsideAFragmentedMessage_FailsWith1002(bool secondFin)
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Text, "a"u8, fin: false), WireFrame.Encode(WireFrame.Binary, "b"u8, fin: secondFin));
        h.AssertFailed(1002);
    }

    [Fact]
    public void Case5_19_FragmentsWithPingsBetween_AllAnsweredAndReassembled()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Text, "1"u8, fin: false), WireFrame.Encode(WireFrame.Continuation, "2"u8, fin: false), WireFrame.Encode(WireFrame.Ping, "a"u8));
        h.Send(WireFrame.Encode(WireFrame.Continuation, "3"u8, fin: false), WireFrame.Encode(WireFrame.Ping, "b"u8), WireFrame.Encode(WireFrame.Continuation, "4"u8));
        Assert.Equal([(WireFrame.Pong, "a"), (WireFrame.Pong, "b"), (WireFrame.Text, "1234")], h.Frames().Select(f => (f.Opcode, f.Text8)));
    }

    // ---- 6 UTF-8
    public static TheoryData<string> ValidTexts() =>
    [
        "κόσμε",
        "Hello-µ@ßöäüàá-UTF-8!!",
        "\uFFFF\uFFFE\U0010FFFF",
        "\U0001F600 emoji and \u0800 and \u07FF",
        "",
    ];

    [Theory]
    [MemberData(nameof(ValidTexts))]
    public void Case6_ValidUtf8_SplitAtEveryByteAcrossFragments_Echoed(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var split = 0; split <= bytes.Length; split++)
        {
            var h = new ServerHarness(Clock);
            h.Send(WireFrame.Encode(WireFrame.Text, bytes.AsSpan(0, split), fin: false), WireFrame.Encode(WireFrame.Continuation, bytes.AsSpan(split)));
            Assert.Equal(bytes, Assert.Single(h.Frames()).Payload);
        }
    }

    [Theory]
    [InlineData("c0af")] // overlong '/'
    [InlineData("e080af")] // overlong, three bytes
    [InlineData("f08080af")] // overlong, four bytes
    [InlineData("eda080")] // high surrogate
    [InlineData("edbfbf")] // low surrogate
    [InlineData("f4908080")] // above U+10FFFF
    [InlineData("f5")] // never a lead byte
    [InlineData("80")] // lone continuation
    [InlineData("cebae1bdb9cf83cebcceb5eda080656469746564")] // 6.3.1: valid text then a surrogate
    [InlineData("ce")] // truncated at the message's end
    [InlineData("e282")] // truncated three-byte sequence
    public void Case6_InvalidUtf8_FailsWith1007(string hex)
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Text, Convert.FromHexString(hex)));
        h.AssertFailed(1007);
        Assert.Empty(h.Seen.Messages);
    }

    [Theory]
    [InlineData("eda080")]
    [InlineData("f4908080")]
    [InlineData("c0af")]
    public void Case6_InvalidUtf8_SplitAcrossFragments_FailsWith1007(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        for (var split = 1; split < bytes.Length; split++)
        {
            var h = new ServerHarness(Clock);
            h.Send(WireFrame.Encode(WireFrame.Text, bytes.AsSpan(0, split), fin: false), WireFrame.Encode(WireFrame.Continuation, bytes.AsSpan(split)));
            h.AssertFailed(1007);
        }
    }

    [Fact]
    public void Case6_4_1_InvalidUtf8_FailsFast_BeforeTheFrameEnds()
    {
        // The frame announces 20 bytes; the invalid sequence comes in its first 8 and the rest never arrives.
        var h = new ServerHarness(Clock);
        var frame = WireFrame.Encode(WireFrame.Text, Encoding.UTF8.GetBytes("κόσμε").Concat(Convert.FromHexString("f4908080")).Concat(new byte[5]).ToArray());
        h.Send(frame[..(frame.Length - 5)]);
        h.AssertFailed(1007);
    }

    [Fact]
    public void Case6_4_3_InvalidUtf8_FailsFast_AtItsSecondByte_InTheNextFragment()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Text, Encoding.UTF8.GetBytes("κόσμε").Append((byte)0xf4).ToArray(), fin: false));
        Assert.Empty(h.Frames());
        var next = WireFrame.Encode(WireFrame.Continuation, new byte[] { 0x90, 0x80, 0x80, (byte)'a', (byte)'b' });
        h.Send(next[..7]); // header (6 bytes) and 0x90: already no valid continuation
        h.AssertFailed(1007);
    }

    [Fact]
    public void Case6_Binary_IsNotValidated()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Binary, Convert.FromHexString("eda080ff")));
        Assert.Equal(Convert.FromHexString("eda080ff"), Assert.Single(h.Frames()).Payload);
    }

    // ---- 7 Close handling
    [Fact]
    public void Case7_1_1_TextThenClose_EchoThenCloseEchoedThenTcpClosedByServer() 
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Text1("Hello World!"));
        Assert.Equal("Hello World!", Assert.Single(h.Frames()).Text8);
        h.AssertCleanClose();
    }

    [Fact]
    public void Case7_1_2to7_1_5_FramesAfterClose_AreIgnored()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Text, "frag"u8, fin: false), WireFrame.CloseFrame(1000), WireFrame.CloseFrame(1000),
            WireFrame.Encode(WireFrame.Ping, "p"u8), WireFrame.Text1("late"), WireFrame.Encode(WireFrame.Continuation, "ment"u8));
        var frame = Assert.Single(h.Frames());
        Assert.Equal((WireFrame.Close, (int?)1000), (frame.Opcode, frame.CloseCode));
        Assert.Empty(h.Seen.Messages);
        Assert.Empty(h.Seen.Pings);
        h.Drop();
        Assert.Equal([(true, (int?)1000, (string?)"")], h.Seen.Closes);
    }

    [Fact]
    public void Case7_3_1_EmptyClose_EchoedEmpty_CleanWithNoCode()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Close, []));
        var frame = Assert.Single(h.Frames());
        Assert.Empty(frame.Payload);
        h.Drop();
        Assert.Equal([(true, (int?)null, (string?)null)], h.Seen.Closes);
    }

    [Fact]
    public void Case7_3_2_CloseWithOneBytePayload_FailsWith1002()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Close, [0x03]));
        h.AssertFailed(1002);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(123)]
    public void Case7_3_3to7_3_5_CloseWithReason_ReasonReported(int reasonLength)
    {
        var h = new ServerHarness(Clock);
        var reason = new string('r', reasonLength);
        h.Send(WireFrame.CloseFrame(1000, reason));
        Assert.Equal(1000, Assert.Single(h.Frames()).CloseCode);
        h.Drop();
        Assert.Equal([(true, (int?)1000, (string?)reason)], h.Seen.Closes);
    }

    [Fact]
    public void Case7_3_6_CloseWithA124ByteReason_IsAnOversizedControlFrame_1002()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.CloseFrame(1000, new string('r', 124)));
        h.AssertFailed(1002);
    }

    [Fact]
    public void Case7_5_1_CloseReasonNotUtf8_FailsWith1007()
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.Encode(WireFrame.Close, Convert.FromHexString("03e8cebae1bdb9cf83cebcceb5eda080656469746564")));
        h.AssertFailed(1007);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(1002)]
    [InlineData(1003)]
    [InlineData(1007)]
    [InlineData(1008)]
    [InlineData(1009)]
    [InlineData(1010)]
    [InlineData(1011)]
    [InlineData(3000)]
    [InlineData(3999)]
    [InlineData(4000)]
    [InlineData(4999)]
    public void Case7_7_ValidCloseCodes_Echoed(int code)
    {
        var h = new ServerHarness(Clock);
        h.AssertCleanClose(code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1012)]
    [InlineData(1013)]
    [InlineData(1014)]
    [InlineData(1015)]
    [InlineData(1016)]
    [InlineData(1100)]
    [InlineData(2000)]
    [InlineData(2999)]
    [InlineData(5000)]
    [InlineData(65535)]
    public void Case7_9_and_7_13_InvalidCloseCodes_FailWith1002(int code)
    {
        var h = new ServerHarness(Clock);
        h.Send(WireFrame.CloseFrame(code));
        h.AssertFailed(1002);
    }

    // ---- 9 Limits (correctness only: timings belong in bench/)
    [Theory]
    [InlineData(64 * 1024, 0)]
    [InlineData(1024 * 1024, 0)]
    [InlineData(4 * 1024 * 1024, 0)]
    [InlineData(1024 * 1024, 64)]
    [InlineData(1024 * 1024, 4096)]
    [InlineData(4 * 1024 * 1024, 1024 * 1024)]
    public void Case9_LargeMessages_WholeOrInFrames_EchoedIntact(int size, int frameSize)
    {
        var h = new ServerHarness(Clock);
        var payload = new byte[size];
        new Random(9).NextBytes(payload);
        if (frameSize == 0)
        {
            h.SendChopped(WireFrame.Encode(WireFrame.Binary, payload), 65536);
        }
        else
        {
            for (var at = 0; at < size; at += frameSize)
            {
                h.Send(WireFrame.Encode(at == 0 ? WireFrame.Binary : WireFrame.Continuation, payload.AsSpan(at, frameSize), fin: at + frameSize >= size));
            }
        }
        Assert.Equal(payload, Assert.Single(h.Frames()).Payload);
    }
}
