namespace AsyncCore.Mail;

/// <summary>
/// Decodes the DATA section as it arrives in chunks: removes the dot-stuffing (RFC 5321 section 4.5.2) and finds the
/// terminating <c>CRLF.CRLF</c>, however the bytes are split across reads.
/// </summary>
/// <remarks>
/// The message is handed on in runs as long as the read allows: a run ends only where a line starts with a dot (the
/// stuffing dot is dropped) or at the end of the read. A receiver that pauses after each call (one write per call)
/// therefore writes read-sized pieces, not lines.
/// </remarks>
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
                    // Everything up to the next line that starts with a dot is message, CRLFs included: one piece.
                    var rest = data[i..];
                    var dotLine = rest.IndexOf("\r\n."u8);
                    if (dotLine < 0)
                    {
                        // The read may end inside a CRLF, or right after one (the next read may start with a dot).
                        _state = rest.EndsWith("\r\n"u8) ? State.LineStart : rest[^1] == (byte)'\r' ? State.Cr : State.Middle;
                        _ = output(rest);
                        return data.Length;
                    }
                    i += dotLine + 2;
                    _state = State.LineStart;
                    if (!output(rest[..(dotLine + 2)]))
                    {
                        return i;
                    }
                    break;
                }
                case State.Cr:
                {
                    // A CR at the end of the previous read (or after a stuffed dot's line): is a line starting?
                    var b = data[i];
                    if (b == (byte)'\n')
                    {
                        i++;
                        _state = State.LineStart;
                        if (!output("\n"u8))
                        {
                            return i;
                        }
                    }
                    else
                    {
                        _state = State.Middle;
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
