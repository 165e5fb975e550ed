using System.Text;

namespace AsyncCore.Mail.Tests;

/// <summary>The server's DATA decoder: dot-unstuffing and the end marker across any split and any pause.</summary>
public sealed class DataDecoderTests
{
    // Stuffed dots, a dot line that is not the end (".\re"), a bare CR before a CRLF, the end marker, the next command.
    private const string Input = ".a\r\n..b\r\nc.d\r\n.\re\r\n\r\r\n.x\r\n.\r\nNOOP\r\n";
    private const string Message = "a\r\n.b\r\nc.d\r\n\re\r\n\r\r\nx\r\n";
    private static readonly int MessageEnd = Input.Length - "NOOP\r\n".Length;

    /// <summary>Feeds <see cref="Input"/> in pieces of <paramref name="piece"/> bytes; the output pauses every <paramref name="pauseEvery"/> calls (0: never).</summary>
    private static (string Message, int Consumed, int Calls) Decode(int piece, int pauseEvery)
    {
        var input = Encoding.ASCII.GetBytes(Input);
        var decoder = new DataDecoder();
        var message = new StringBuilder();
        var calls = 0;
        var position = 0;
        while (position < input.Length)
        {
            var chunk = input.AsSpan(position, Math.Min(piece, input.Length - position));
            // A paused receiver gets the rest of the chunk when it resumes: the next call starts where this one stopped.
            var consumed = decoder.Decode(chunk, bytes =>
            {
                Assert.False(bytes.IsEmpty);
                message.Append(Encoding.ASCII.GetString(bytes));
                calls++;
                return pauseEvery == 0 || calls % pauseEvery != 0;
            }, out var ended);
            Assert.InRange(consumed, 0, chunk.Length);
            position += consumed;
            if (ended)
            {
                return (message.ToString(), position, calls);
            }
        }
        throw new InvalidOperationException("no end marker");
    }

    [Theory]
    [InlineData(1000, 0)]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(3, 0)]
    [InlineData(5, 0)]
    [InlineData(1000, 1)]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(7, 2)]
    public void SplitAndPausedAnywhere_DecodesAsInOnePiece(int piece, int pauseEvery)
    {
        var (message, consumed, _) = Decode(piece, pauseEvery);

        Assert.Equal(Message, message);
        Assert.Equal(MessageEnd, consumed);
    }

    [Fact]
    public void OnePiece_IsHandedOnInRuns_SplitOnlyAtStuffedDots()
    {
        // "a\r\n", ".b\r\nc.d\r\n" (to the ".\r" line), its kept CR, "e\r\n\r\r\n" (to ".x"), "x\r\n": a call per dot line, not per line.
        Assert.Equal(5, Decode(1000, 0).Calls);

        var lines = string.Concat(Enumerable.Repeat("a line of the message\r\n", 1000));
        var decoder = new DataDecoder();
        var calls = 0;
        var consumed = decoder.Decode(Encoding.ASCII.GetBytes(lines + ".\r\n"), _ => ++calls > 0, out var ended);
        Assert.True(ended);
        Assert.Equal(lines.Length + 3, consumed);
        Assert.Equal(1, calls);
    }
}
