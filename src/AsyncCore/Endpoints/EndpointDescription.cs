using System.Globalization;
using System.Text;

namespace AsyncCore.Endpoints;

/// <summary>
/// A parsed endpoint description string (the grammar of Twisted's <c>serverFromString</c> and <c>clientFromString</c>):
/// fields separated by <c>:</c>, the first being the type; each other field is positional or <c>key=value</c>. After the
/// <c>=</c> only a <c>:</c> ends the value, so <c>=</c> needs no escaping there; a backslash escapes the next character
/// (<c>\:</c>, <c>\=</c>, <c>\\</c>).
/// </summary>
public sealed class EndpointDescription
{
    private EndpointDescription(string type, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> keywords)
    {
        Type = type;
        Arguments = arguments;
        Keywords = keywords;
    }

    /// <summary>The first field (for example <c>tcp</c>), as written.</summary>
    public string Type { get; }

    /// <summary>The positional fields after the type, unescaped.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The <c>key=value</c> fields, unescaped.</summary>
    public IReadOnlyDictionary<string, string> Keywords { get; }

    /// <summary>Parses <paramref name="description"/>.</summary>
    /// <exception cref="EndpointFormatException">
    /// Empty description, no type (an empty or <c>key=value</c> first field), trailing backslash, an empty or repeated keyword.
    /// </exception>
    public static EndpointDescription Parse(string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (description.Length == 0)
        {
            throw new EndpointFormatException("An endpoint description cannot be empty.");
        }
        var arguments = new List<string>();
        var keywords = new Dictionary<string, string>(StringComparer.Ordinal);
        var current = new StringBuilder();
        string? key = null;
        void EndField()
        {
            if (key is not null && arguments.Count == 0 && keywords.Count == 0)
            {
                // The first field is the type; "tcp=1" would otherwise leave no type at all.
                throw new EndpointFormatException($"'{description}' has no endpoint type: the first field '{key}={current}' is a key=value parameter.");
            }
            if (key is null)
            {
                arguments.Add(current.ToString());
            }
            else
            {
                if (key.Length == 0)
                {
                    throw new EndpointFormatException($"Empty parameter name before '=' in '{description}'.");
                }
                if (!keywords.TryAdd(key, current.ToString()))
                {
                    throw new EndpointFormatException($"Parameter '{key}' is given twice in '{description}'.");
                }
            }
            current.Clear();
            key = null;
        }
        for (var i = 0; i < description.Length; i++)
        {
            var c = description[i];
            if (c == '\\')
            {
                if (++i == description.Length)
                {
                    throw new EndpointFormatException($"'{description}' ends with a lone backslash; write '\\\\' for a backslash.");
                }
                current.Append(description[i]);
            }
            else if (c == ':')
            {
                EndField();
            }
            else if (c == '=' && key is null)
            {
                key = current.ToString();
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        EndField();
        var type = arguments[0];
        if (type.Length == 0)
        {
            throw new EndpointFormatException($"'{description}' has no endpoint type before the first ':'.");
        }
        arguments.RemoveAt(0);
        return new EndpointDescription(type, arguments, keywords);
    }

    /// <summary>Escapes backslashes and colons so that <paramref name="value"/> is read back as one field (Twisted's <c>quoteStringArgument</c>).</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal);
    }

    /// <summary>
    /// Binds the fields to the parameters <paramref name="names"/>, as a Python call would: positional fields fill the
    /// parameters in order, keywords by name; too many positional fields, an unknown keyword or a parameter given twice is an
    /// error. Parameters not given are absent from the result.
    /// </summary>
    internal Dictionary<string, string> Bind(string kind, params string[] names)
    {
        if (Arguments.Count > names.Length)
        {
            throw new EndpointFormatException(
                $"{kind}: takes at most {names.Length} positional fields ({string.Join(", ", names)}) but {Arguments.Count} were given.");
        }
        var bound = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < Arguments.Count; i++)
        {
            bound[names[i]] = Arguments[i];
        }
        foreach (var (name, value) in Keywords)
        {
            if (Array.IndexOf(names, name) < 0)
            {
                throw new EndpointFormatException($"{kind}: unknown parameter '{name}'; expected one of {string.Join(", ", names)}.");
            }
            if (!bound.TryAdd(name, value))
            {
                throw new EndpointFormatException($"{kind}: got multiple values for parameter '{name}'.");
            }
        }
        return bound;
    }

    internal static string Required(Dictionary<string, string> bound, string kind, string name) =>
        bound.TryGetValue(name, out var value) ? value : throw new EndpointFormatException($"{kind}: missing required parameter '{name}'.");

    internal static int Integer(string kind, string name, string value, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            throw new EndpointFormatException($"{kind}: {name} must be an integer, not '{value}'.");
        }
        if (number < min || number > max)
        {
            throw new EndpointFormatException($"{kind}: {name} must be between {min} and {max}, not {number}.");
        }
        return number;
    }

    internal static int Port(string kind, string value) => Integer(kind, "port", value, 0, 65535);

    /// <summary>A required parameter that cannot be empty (a host name, a socket path).</summary>
    internal static string NonEmpty(Dictionary<string, string> bound, string kind, string name)
    {
        var value = Required(bound, kind, name);
        return value.Length > 0 ? value : throw new EndpointFormatException($"{kind}: {name} cannot be empty.");
    }

    /// <summary>A duration in seconds, from 0 up to what a <see cref="TimeSpan"/> holds.</summary>
    internal static TimeSpan Seconds(string kind, string name, string value)
    {
        // Compared as doubles: TimeSpan.FromSeconds throws OverflowException from about 9.2e11 seconds.
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !(seconds >= 0 && seconds < s_maxSeconds))
        {
            throw new EndpointFormatException(
                $"{kind}: {name} must be a non-negative number of seconds below {s_maxSeconds.ToString("F0", CultureInfo.InvariantCulture)}, not '{value}'.");
        }
        return TimeSpan.FromSeconds(seconds);
    }

    private static readonly double s_maxSeconds = Math.Floor(TimeSpan.MaxValue.TotalSeconds);

    /// <summary>A file mode in octal (<c>666</c>, <c>0600</c>): octal digits only, at most <c>7777</c>.</summary>
    internal static int FileMode(string kind, string name, string value)
    {
        var mode = 0;
        foreach (var c in value)
        {
            // Digits one by one, so that neither a sign nor an overflow (Convert.ToInt32("37777777777", 8) is -1) gets through.
            if (c is < '0' or > '7' || (mode = (mode * 8) + (c - '0')) > 4095)
            {
                mode = -1;
                break;
            }
        }
        if (value.Length == 0 || mode < 0)
        {
            throw new EndpointFormatException($"{kind}: {name} must be an octal file mode from 0 to 7777 such as 666, not '{value}'.");
        }
        return mode;
    }

    internal static bool Flag(string kind, string name, string value) => value switch
    {
        "0" or "false" or "False" or "no" => false,
        "1" or "true" or "True" or "yes" => true,
        _ => throw new EndpointFormatException($"{kind}: {name} must be 0 or 1, not '{value}'."),
    };
}
