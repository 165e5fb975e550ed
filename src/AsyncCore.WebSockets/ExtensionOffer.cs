using System.Globalization;

namespace AsyncCore.WebSockets;

/// <summary>One extension of a <c>Sec-WebSocket-Extensions</c> header: its name and parameters (RFC 6455 9.1).</summary>
internal sealed record ExtensionOffer(string Name, IReadOnlyList<KeyValuePair<string, string?>> Parameters)
{
    /// <summary>Parses every field value (each a comma-separated list); null when the grammar is broken.</summary>
    public static List<ExtensionOffer>? Parse(IEnumerable<string> values)
    {
        var result = new List<ExtensionOffer>();
        foreach (var value in values)
        {
            foreach (var item in SplitOutsideQuotes(value, ','))
            {
                if (item.Trim().Length == 0)
                {
                    continue;
                }
                var parts = SplitOutsideQuotes(item, ';');
                var name = parts[0].Trim();
                if (!IsToken(name))
                {
                    return null;
                }
                var parameters = new List<KeyValuePair<string, string?>>();
                foreach (var part in parts.Skip(1))
                {
                    var equals = part.IndexOf('=', StringComparison.Ordinal);
                    var key = (equals < 0 ? part : part[..equals]).Trim();
                    string? parameterValue = null;
                    if (equals >= 0)
                    {
                        parameterValue = part[(equals + 1)..].Trim();
                        if (parameterValue.Length >= 2 && parameterValue[0] == '"' && parameterValue[^1] == '"')
                        {
                            parameterValue = parameterValue[1..^1];
                        }
                        if (!IsToken(parameterValue))
                        {
                            return null;
                        }
                    }
                    if (!IsToken(key))
                    {
                        return null;
                    }
                    parameters.Add(new(key, parameterValue));
                }
                result.Add(new ExtensionOffer(name, parameters));
            }
        }
        return result;
    }

    /// <summary>The header text of this extension.</summary>
    public override string ToString() =>
        string.Concat(Parameters.Select(p => p.Value is null ? "; " + p.Key : "; " + p.Key + "=" + p.Value).Prepend(Name));

    /// <summary>Reads a window-bits value (8-15); null when malformed.</summary>
    public static int? WindowBits(string? value) =>
        value is not null && value.Length <= 2 && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var bits) && bits is >= 8 and <= 15
            ? bits
            : null;

    private static List<string> SplitOutsideQuotes(string text, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                quoted = !quoted;
            }
            else if (text[i] == separator && !quoted)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }
        parts.Add(text[start..]);
        return parts;
    }

    internal static bool IsToken(string text) =>
        text.Length > 0 && text.All(c => c < 0x7f && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)));
}
