namespace AsyncCore.Mail;

/// <summary>
/// Decodes the DATA section as it arrives in chunks: removes the dot-stuffing (RFC 5321 section 4.5.2) and finds the
/// terminating <c>CRLF.CRLF</c>, however the bytes are split across reads.
/// </summary>
internal sealed class DataDecoder
{
    private enum State
    {
        LineStart,
        Dot,
        DotCr,
        Middle,
        Cr,
    }

    // DATA follows the CRLF of the DATA command, so the message starts at the beginning of a line.
    private State _state = State.LineStart;

    /// <summary>
    /// Decodes <paramref name="data"/>, handing the message bytes to <paramref name="output"/>, and returns the number
    /// of bytes consumed. <paramref name="ended"/> says the end marker was found (what follows the bytes consumed belongs
    /// to the next command). Otherwise fewer than all bytes are consumed only when <paramref name="output"/> returned
    /// false (the receiver paused): decoding stops right after the bytes it was given, and the next call goes on from
    /// the first byte not consumed, as if the data had been split there.
    /// </summary>
    public int Decode(ReadOnlySpan<byte> data, Func<ReadOnlySpan<byte>, bool> output, out bool ended)
    {
        ended = false;
        var i = 0;
        while (i < data.Length)
        {
            switch (_state)
            {
                case State.Middle:
                {
                    // Copy the run up to the next CR in one piece: most of a message is here.
                    var cr = data[i..].IndexOf((byte)'\r');
                    if (cr < 0)
                    {
                        _ = output(data[i..]);
                        return data.Length;
                    }
                    var goOn = output(data.Slice(i, cr + 1));
                    i += cr + 1;
                    _state = State.Cr;
                    if (!goOn)
                    {
                        return i;
                    }
                    break;
                }
                case State.Cr:
                {
                    var b = data[i++];
                    _state = b switch { (byte)'\n' => State.LineStart, (byte)'\r' => State.Cr, _ => State.Middle };
                    if (!output([b]))
                    {
                        return i;
                    }
                    break;
                }
                case State.LineStart:
                {
                    var b = data[i];
                    if (b == (byte)'.')
                    {
                        i++;
                        _state = State.Dot;
                    }
                    else
                    {
                        _state = State.Middle;
                    }
                    break;
                }
                case State.Dot:
                {
                    var b = data[i];
                    if (b == (byte)'\r')
                    {
                        i++;
                        _state = State.DotCr;
                    }
                    else
                    {
                        // A stuffed dot: the line's first dot is dropped, the rest of the line is message.
                        _state = State.Middle;
                    }
                    break;
                }
                case State.DotCr:
                {
                    if (data[i] == (byte)'\n')
                    {
                        _state = State.LineStart;
                        ended = true;
                        return i + 1;
                    }
                    // ".\r" then something else: not the end; keep the CR (the dot is dropped as stuffing).
                    _state = State.Cr;
                    if (!output("\r"u8))
                    {
                        return i;
                    }
                    break;
                }
            }
        }
        return data.Length;
    }
}
