using System.Globalization;
using System.Text;

namespace AsyncCore.Web;

/// <summary>What <see cref="HttpWire.TryLine"/> found.</summary>
internal enum LineResult
{
    /// <summary>No line end yet, and the bytes so far are within the limit.</summary>
    NeedMore,

    /// <summary>A line was cut.</summary>
    Line,

    /// <summary>The line is (or will be) longer than the limit.</summary>
    TooLong,

    /// <summary>The line holds a CR that does not end it.</summary>
    BareCr,
}

/// <summary>
/// The pieces of the HTTP/1.1 message grammar (RFC 9112) that the server (<see cref="HttpChannel"/>) and the client
/// (<see cref="Client.HttpClientConnection"/>) share: one strict reading of lines, header fields, chunk sizes and
/// <c>Content-Length</c>, so both ends refuse the same malformed input.
/// </summary>
internal static class HttpWire
{
    /// <summary>
    /// Cuts a CRLF-ended line (a lone LF is accepted, RFC 9112 2.2) of at most <paramref name="limit"/> bytes from the
    /// start of <paramref name="available"/>; <paramref name="consumed"/> counts the line and its end.
    /// </summary>
    public static LineResult TryLine(ReadOnlySpan<byte> available, int limit, out ReadOnlySpan<byte> line, out int consumed)
    {
        var newline = available.IndexOf((byte)'\n');
        line = default;
        consumed = 0;
        if (newline < 0)
        {
            return available.Length > limit ? LineResult.TooLong : LineResult.NeedMore;
        }
        var end = newline > 0 && available[newline - 1] == '\r' ? newline - 1 : newline;
        if (end > limit)
        {
            return LineResult.TooLong;
        }
        line = available[..end];
        consumed = newline + 1;
        return line.Contains((byte)'\r') ? LineResult.BareCr : LineResult.Line;
    }

    /// <summary>
    /// Splits a header field line into name and value (the value without surrounding whitespace); null when it is
    /// well formed, otherwise the reason it is not (obs-fold, no colon, a name that is not a token, control characters).
    /// </summary>
    public static string? ParseHeaderLine(ReadOnlySpan<byte> line, out string name, out ReadOnlySpan<byte> value)
    {
        name = "";
        value = default;
        if (line[0] is (byte)' ' or (byte)'\t')
        {
            return "Obsolete line folding";
        }
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            return "Malformed header field";
        }
        if (!IsToken(line[..colon]))
        {
            return "Malformed header field name";
        }
        value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            if ((b < 0x20 && b != '\t') || b == 0x7f)
            {
                return "Control character in header field";
            }
        }
        name = KnownName(line[..colon]) ?? Encoding.Latin1.GetString(line[..colon]);
        return null;
    }

    /// <summary>Reads a chunk-size line (hex digits, optional extensions after <c>;</c>, RFC 9112 7.1).</summary>
    public static bool TryParseChunkSize(ReadOnlySpan<byte> line, out long size)
    {
        var semicolon = line.IndexOf((byte)';');
        var digits = (semicolon < 0 ? line : line[..semicolon]).TrimEnd(" \t"u8);
        size = 0;
        if (digits.IsEmpty || digits.Length > 15)
        {
            return false;
        }
        foreach (var b in digits)
        {
            var digit = HexDigit(b);
            if (digit < 0)
            {
                return false;
            }
            size = (size << 4) | (uint)digit;
        }
        return true;
    }

    /// <summary>
    /// Reads the <c>Content-Length</c> fields (repeated fields and comma lists must agree, RFC 9110 8.6); null when
    /// they are well formed, otherwise the reason.
    /// </summary>
    public static string? ParseContentLength(IReadOnlyList<string> values, out long length)
    {
        long? found = null;
        length = 0;
        foreach (var field in values)
        {
            foreach (var value in field.Split(','))
            {
                var trimmed = value.Trim();
                if (trimmed.Length == 0 || trimmed.Length > 18 || !trimmed.All(char.IsAsciiDigit))
                {
                    return "Bad Content-Length";
                }
                var parsed = long.Parse(trimmed, CultureInfo.InvariantCulture);
                if (found is { } previous && previous != parsed)
                {
                    return "Conflicting Content-Length values";
                }
                found = parsed;
            }
        }
        length = found ?? 0;
        return null;
    }

    /// <summary>True when the comma-separated <paramref name="header"/> holds <paramref name="token"/> (any case).</summary>
    public static bool HasToken(string? header, string token)
    {
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }
        foreach (var part in header.AsSpan().Split(','))
        {
            if (header.AsSpan(part).Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True for an RFC 9110 token (method, header name).</summary>
    public static bool IsToken(string text) => text.Length > 0 && text.All(c => c < 0x7f && IsTokenChar((byte)c));

    /// <summary>True for an RFC 9110 token (method, header name).</summary>
    public static bool IsToken(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }
        foreach (var b in text)
        {
            if (b >= 0x7f || !IsTokenChar(b))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsTokenChar(byte b) => char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b);

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>The common field names as interned strings, so parsing them allocates nothing.</summary>
    private static string? KnownName(ReadOnlySpan<byte> name) => name.Length switch
    {
        4 when name.SequenceEqual("Host"u8) => "Host",
        4 when name.SequenceEqual("Date"u8) => "Date",
        6 when name.SequenceEqual("Accept"u8) => "Accept",
        6 when name.SequenceEqual("Server"u8) => "Server",
        10 when name.SequenceEqual("Connection"u8) => "Connection",
        10 when name.SequenceEqual("User-Agent"u8) => "User-Agent",
        12 when name.SequenceEqual("Content-Type"u8) => "Content-Type",
        14 when name.SequenceEqual("Content-Length"u8) => "Content-Length",
        17 when name.SequenceEqual("Transfer-Encoding"u8) => "Transfer-Encoding",
        _ => null,
    };
}
