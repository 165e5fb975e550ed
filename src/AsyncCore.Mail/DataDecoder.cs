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
    /// Decodes <paramref name="data"/>, handing the message bytes to <paramref name="output"/>. Returns the number of
    /// bytes consumed when the end marker was found (what follows belongs to the next command), or -1 when more is needed.
    /// </summary>
    public int Decode(ReadOnlySpan<byte> data, Action<ReadOnlySpan<byte>> output)
    {
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
                        output(data[i..]);
                        return -1;
                    }
                    output(data.Slice(i, cr + 1));
                    i += cr + 1;
                    _state = State.Cr;
                    break;
                }
                case State.Cr:
                {
                    var b = data[i++];
                    output([b]);
                    _state = b switch { (byte)'\n' => State.LineStart, (byte)'\r' => State.Cr, _ => State.Middle };
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
                        return i + 1;
                    }
                    // ".\r" then something else: not the end; keep the CR (the dot is dropped as stuffing).
                    output("\r"u8);
                    _state = State.Cr;
                    break;
                }
            }
        }
        return -1;
    }
}
