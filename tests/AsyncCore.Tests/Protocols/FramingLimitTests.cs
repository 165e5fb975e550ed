using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;

namespace AsyncCore.Tests.Protocols;

/// <summary>
/// The length limits of the framing receivers (issue 18): a multi-byte delimiter split across reads, and lengths near the
/// limits of the arithmetic.
/// </summary>
public class FramingLimitTests
{
    private sealed class CrLfLines : LineOnlyReceiver
    {
        public List<string> Received { get; } = [];

        protected override void LineReceived(ReadOnlySpan<byte> line) => Received.Add(Encoding.ASCII.GetString(line));
    }

    private sealed class Netstrings : NetstringReceiver
    {
        public List<byte[]> Received { get; } = [];

        protected override void StringReceived(ReadOnlySpan<byte> data) => Received.Add(data.ToArray());
    }

    private sealed class Int32Strings : Int32StringReceiver
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

    [Fact]
    public void LineOnlyReceiver_LineAtMaxLengthWithDelimiterSplitAcrossReads_IsDelivered()
    {
        var receiver = new CrLfLines { MaxLength = 4 };
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.DataReceived("abcd\r"u8);
        receiver.DataReceived("\n"u8);
        Assert.False(transport.Disconnecting);
        Assert.Equal(["abcd"], receiver.Received);
    }

    [Fact]
    public void LineOnlyReceiver_UnfinishedLineThatCannotFitAnyMore_ClosesAtOnce()
    {
        // MaxLength + delimiter bytes without a delimiter: whatever comes next, the line is too long.
        var receiver = new CrLfLines { MaxLength = 4 };
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.DataReceived("abcde\r"u8);
        Assert.True(transport.Disconnecting);
        Assert.Empty(receiver.Received);
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(int.MaxValue)]
    [InlineData(99999999999L)]
    public void NetstringReceiver_HugeMaxLength_LengthThatOverflowsIsABrokenPeer(long maxLength)
    {
        var receiver = new Netstrings { MaxLength = maxLength };
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        // 30 digits: more than a long holds; before the fix the length wrapped round and indexing threw.
        receiver.DataReceived("999999999999999999999999999999:abc,"u8);
        Assert.True(receiver.BrokenPeer);
        Assert.True(transport.Disconnecting);
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public void NetstringReceiver_HugeMaxLength_LengthAboveWhatABufferCanHoldIsABrokenPeer()
    {
        var receiver = new Netstrings { MaxLength = long.MaxValue };
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.DataReceived("4294967296:ab"u8);
        Assert.True(receiver.BrokenPeer);
        Assert.True(transport.Disconnecting);
    }

    [Fact]
    public void NetstringReceiver_HugeMaxLength_StillDeliversOrdinaryStrings()
    {
        var receiver = new Netstrings { MaxLength = long.MaxValue };
        receiver.MakeConnection(new StringTransport());
        receiver.DataReceived("3:abc,0:,"u8);
        Assert.Equal([[.. "abc"u8], []], receiver.Received);
        Assert.False(receiver.BrokenPeer);
    }

    [Fact]
    public void Int32StringReceiver_HugeMaxLength_LengthAboveWhatABufferCanHoldExceedsTheLimit()
    {
        var receiver = new Int32Strings { MaxLength = long.MaxValue };
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.DataReceived([0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]);
        Assert.Equal(0xFFFFFFFFL, receiver.Exceeded);
        Assert.True(transport.Disconnecting);
        Assert.Empty(receiver.Received);
    }
}
