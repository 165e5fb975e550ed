using System.Globalization;

namespace AsyncCore.Mail;

/// <summary>The service extensions a server listed in its <c>EHLO</c> reply (RFC 5321 section 4.1.1.1).</summary>
public sealed class SmtpExtensions
{
    private readonly Dictionary<string, string> _keywords = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>No extensions: what a server answering only <c>HELO</c> offers.</summary>
    public static SmtpExtensions None { get; } = new();

    /// <summary>Parses the lines of an <c>EHLO</c> reply; the first line is the server's greeting, the rest are keywords.</summary>
    public static SmtpExtensions Parse(SmtpReply ehloReply)
    {
        ArgumentNullException.ThrowIfNull(ehloReply);
        var extensions = new SmtpExtensions();
        foreach (var line in ehloReply.Lines.Skip(1))
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0)
            {
                continue;
            }
            var space = trimmed.IndexOfAny([' ', '=']);
            var keyword = space < 0 ? trimmed : trimmed[..space];
            extensions._keywords[keyword] = space < 0 ? "" : trimmed[(space + 1)..].Trim();
        }
        return extensions;
    }

    /// <summary>The keywords offered, with their parameters (empty when none).</summary>
    public IReadOnlyDictionary<string, string> Keywords => _keywords;

    /// <summary>True when <paramref name="keyword"/> was offered.</summary>
    public bool Has(string keyword) => _keywords.ContainsKey(keyword);

    /// <summary>The largest message the server takes (<c>SIZE n</c>); null when not offered or 0 (no fixed limit).</summary>
    public long? MaxSize =>
        _keywords.TryGetValue("SIZE", out var value)
        && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size > 0
            ? size
            : null;

    /// <summary>True when the server offered <c>SIZE</c> (with or without a limit).</summary>
    public bool Size => Has("SIZE");

    /// <summary><c>PIPELINING</c> (RFC 2920).</summary>
    public bool Pipelining => Has("PIPELINING");

    /// <summary><c>8BITMIME</c> (RFC 6152).</summary>
    public bool EightBitMime => Has("8BITMIME");

    /// <summary><c>SMTPUTF8</c> (RFC 6531).</summary>
    public bool SmtpUtf8 => Has("SMTPUTF8");

    /// <summary><c>STARTTLS</c> (RFC 3207).</summary>
    public bool StartTls => Has("STARTTLS");

    /// <summary>The mechanisms of <c>AUTH</c> (RFC 4954), upper case; empty when not offered.</summary>
    public IReadOnlyList<string> AuthMechanisms =>
        _keywords.TryGetValue("AUTH", out var value)
            ? value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(m => m.ToUpperInvariant()).ToArray()
            : [];
}
