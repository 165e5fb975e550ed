using System.Globalization;
using System.Text;

namespace AsyncCore.Mail;

/// <summary>
/// An SMTP reply: a three-digit code and its text (several lines for a multi-line reply, separated by <c>\n</c>).
/// </summary>
/// <param name="Code">The reply code, 200 to 599 (RFC 5321 section 4.2).</param>
/// <param name="Text">The text after the code; lines separated by <c>\n</c>.</param>
public sealed record SmtpReply(int Code, string Text)
{
    /// <summary>250 OK.</summary>
    public static SmtpReply Ok { get; } = new(250, "2.0.0 OK");

    /// <summary>True for a 2xx or 3xx reply: the command was accepted.</summary>
    public bool IsPositive => Code is >= 200 and < 400;

    /// <summary>True for a 4xx reply: a temporary failure, worth retrying later.</summary>
    public bool IsTransient => Code is >= 400 and < 500;

    /// <summary>The lines of the text.</summary>
    public IReadOnlyList<string> Lines => Text.Split('\n');

    /// <summary>The reply as sent on the wire: <c>250-first</c> ... <c>250 last</c>, each line ended by CRLF.</summary>
    public string ToWireFormat()
    {
        var lines = Lines;
        var builder = new StringBuilder();
        for (var i = 0; i < lines.Count; i++)
        {
            builder.Append(Code.ToString(CultureInfo.InvariantCulture))
                .Append(i == lines.Count - 1 ? ' ' : '-')
                .Append(lines[i].TrimEnd('\r'))
                .Append("\r\n");
        }
        return builder.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => Code.ToString(CultureInfo.InvariantCulture) + " " + Text.Replace("\n", " / ", StringComparison.Ordinal);
}
