using System.Globalization;
using System.Text;

namespace AsyncCore.Web;

/// <summary>The <c>Cookie</c> request header read, and <c>Set-Cookie</c> values written (RFC 6265).</summary>
internal static class Cookies
{
    /// <summary>
    /// The name-value pairs of every <c>Cookie</c> field. A name sent twice keeps its first value: browsers send the
    /// cookie with the most specific path first (RFC 6265 5.4). Pairs without <c>=</c> are skipped; a value's
    /// surrounding double quotes are removed; nothing is percent-decoded (the value is the server's own encoding).
    /// </summary>
    public static Dictionary<string, string> Parse(IEnumerable<string> fields)
    {
        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            foreach (var pair in field.Split(';'))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    continue;
                }
                var name = pair[..equals].Trim();
                var value = pair[(equals + 1)..].Trim();
                if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                {
                    value = value[1..^1];
                }
                if (name.Length > 0)
                {
                    cookies.TryAdd(name, value);
                }
            }
        }
        return cookies;
    }

    /// <summary>A <c>Set-Cookie</c> value; what a browser would misread or what could inject attributes is refused.</summary>
    public static string Format(string name, string value, DateTimeOffset? expires, string? domain, string? path,
        TimeSpan? maxAge, bool secure, bool httpOnly, SameSite? sameSite)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!HttpChannel.IsToken(name))
        {
            throw new ArgumentException("A cookie name is a token (letters, digits and !#$%&'*+-.^_`|~).", nameof(name));
        }
        var bare = value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
        if (!bare.All(IsCookieOctet))
        {
            throw new ArgumentException(
                "A cookie value may not hold spaces, double quotes, commas, semicolons, backslashes or non-ASCII characters; encode it first (for example with Uri.EscapeDataString).",
                nameof(value));
        }
        CheckAttribute(domain, nameof(domain));
        CheckAttribute(path, nameof(path));
        if (sameSite == SameSite.None && !secure)
        {
            throw new ArgumentException("Browsers reject SameSite=None on a cookie that is not Secure.", nameof(sameSite));
        }
        var text = new StringBuilder(name.Length + value.Length + 64).Append(name).Append('=').Append(value);
        if (expires is { } at)
        {
            text.Append("; Expires=").Append(at.UtcDateTime.ToString("r", CultureInfo.InvariantCulture));
        }
        if (maxAge is { } age)
        {
            // Whole seconds; zero or negative deletes the cookie at once (RFC 6265 5.2.2).
            text.Append("; Max-Age=").Append(Math.Max(0L, (long)age.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        }
        if (domain is not null)
        {
            text.Append("; Domain=").Append(domain);
        }
        if (path is not null)
        {
            text.Append("; Path=").Append(path);
        }
        if (secure)
        {
            text.Append("; Secure");
        }
        if (httpOnly)
        {
            text.Append("; HttpOnly");
        }
        if (sameSite is { } mode)
        {
            text.Append("; SameSite=").Append(mode switch { SameSite.Strict => "Strict", SameSite.None => "None", _ => "Lax" });
        }
        return text.ToString();
    }

    // RFC 6265 4.1.1 cookie-octet: visible ASCII except DQUOTE, comma, semicolon and backslash.
    private static bool IsCookieOctet(char c) => c is > ' ' and < (char)0x7f and not ('"' or ',' or ';' or '\\');

    private static void CheckAttribute(string? value, string parameter)
    {
        if (value is not null && (value.Length == 0 || value.Any(c => c is ';' || c < ' ' || c >= (char)0x7f)))
        {
            throw new ArgumentException("A cookie attribute is non-empty visible ASCII without ';'.", parameter);
        }
    }
}
