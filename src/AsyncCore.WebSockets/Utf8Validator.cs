using System.Text.Unicode;

namespace AsyncCore.WebSockets;

/// <summary>
/// Validates UTF-8 incrementally, across frames and fragments, and fails at the first byte that no valid text could
/// continue (fail-fast, as the Autobahn testsuite's cases 6.4.x check): an overlong form, a surrogate or a code point
/// above U+10FFFF is refused at its second byte, not when the sequence ends.
/// </summary>
/// <remarks>
/// <see cref="Utf8.IsValid"/> checks whole texts; it cannot carry a sequence cut between two frames. Whole chunks go
/// through it when no sequence is pending and end on a complete character; otherwise the bytes go through the
/// WHATWG decoder's state machine (the bounds of the next continuation byte), which is exact and fail-fast.
/// </remarks>
internal struct Utf8Validator
{
    private int _needed;
    private byte _lower;
    private byte _upper;

    /// <summary>True when no multi-byte sequence is open: the text may end here.</summary>
    public readonly bool IsComplete => _needed == 0;

    public void Reset() => _needed = 0;

    /// <summary>Checks <paramref name="data"/> as the continuation of what came before; false at the first invalid byte.</summary>
    public bool Validate(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (_needed > 0 && i < data.Length)
        {
            if (!Step(data[i++]))
            {
                return false;
            }
        }
        var rest = data[i..];
        if (rest.IsEmpty || Utf8.IsValid(rest))
        {
            return true;
        }
        foreach (var b in rest)
        {
            if (!Step(b))
            {
                return false;
            }
        }
        return true;
    }

    private bool Step(byte b)
    {
        if (_needed == 0)
        {
            if (b < 0x80)
            {
                return true;
            }
            (_needed, _lower, _upper) = b switch
            {
                >= 0xC2 and <= 0xDF => (1, (byte)0x80, (byte)0xBF),
                0xE0 => (2, (byte)0xA0, (byte)0xBF),
                0xED => (2, (byte)0x80, (byte)0x9F),
                >= 0xE1 and <= 0xEF => (2, (byte)0x80, (byte)0xBF),
                0xF0 => (3, (byte)0x90, (byte)0xBF),
                >= 0xF1 and <= 0xF3 => (3, (byte)0x80, (byte)0xBF),
                0xF4 => (3, (byte)0x80, (byte)0x8F),
                _ => (-1, (byte)0, (byte)0),
            };
            if (_needed < 0)
            {
                _needed = 0;
                return false;
            }
            return true;
        }
        if (b < _lower || b > _upper)
        {
            return false;
        }
        _lower = 0x80;
        _upper = 0xBF;
        _needed--;
        return true;
    }
}
