using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;

namespace AsyncCore.Tests.Protocols;

// The length limits of the framing receivers (issue 18): a multi-byte delimiter split across reads, and lengths near the
// limits of the arithmetic. The recorder protocols are FramingReceiverTests' own.
public partial class FramingReceiverTests
{
    [Fact]
    public void LineOnlyReceiver_LineAtMaxLengthWithDelimiterSplitAcrossReads_IsDelivered()
    {
        var receiver = new LineOnlyTester { Delimiter = "\r\n"u8.ToArray(), MaxLength = 4 };
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
        var receiver = new LineOnlyTester { Delimiter = "\r\n"u8.ToArray(), MaxLength = 4 };
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
        var receiver = new NetstringTester { MaxLength = maxLength };
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
        var receiver = new NetstringTester { MaxLength = long.MaxValue };
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.DataReceived("4294967296:ab"u8);
        Assert.True(receiver.BrokenPeer);
        Assert.True(transport.Disconnecting);
    }

    [Fact]
    public void NetstringReceiver_HugeMaxLength_StillDeliversOrdinaryStrings()
    {
        var receiver = new NetstringTester { MaxLength = long.MaxValue };
        receiver.MakeConnection(new StringTransport());
        receiver.DataReceived("3:abc,0:,"u8);
        Assert.Equal([[.. "abc"u8], []], receiver.Received);
        Assert.False(receiver.BrokenPeer);
    }

    [Fact]
    public void Int32StringReceiver_HugeMaxLength_LengthAboveWhatABufferCanHoldExceedsTheLimit()
    {
        var receiver = new Int32Tester { MaxLength = long.MaxValue };
        var transport = new StringTransport();
        receiver.MakeConnection(transport);
        receiver.DataReceived([0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]);
        Assert.Equal(0xFFFFFFFFL, receiver.Exceeded);
        Assert.True(transport.Disconnecting);
        Assert.Empty(receiver.Received);
    }
}
