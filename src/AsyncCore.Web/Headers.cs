using System.Collections;

namespace AsyncCore.Web;

/// <summary>
/// HTTP header fields in arrival order, names compared without case (Twisted's <c>http_headers.Headers</c>). A name may
/// occur more than once.
/// </summary>
public sealed class Headers : IEnumerable<KeyValuePair<string, string>>
{
    private readonly List<KeyValuePair<string, string>> _fields = [];

    /// <summary>The number of fields (a repeated name counts once per occurrence).</summary>
    public int Count => _fields.Count;

    /// <summary>Adds a field, keeping the fields already there under the same name.</summary>
    public void Add(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        _fields.Add(new(name, value));
    }

    /// <summary>Replaces every field of that name with one field.</summary>
    public void Set(string name, string value)
    {
        Remove(name);
        Add(name, value);
    }

    /// <summary>Removes every field of that name; true when there was one.</summary>
    public bool Remove(string name) => _fields.RemoveAll(f => Is(f.Key, name)) > 0;

    /// <summary>True when a field of that name is present.</summary>
    public bool Contains(string name) => _fields.Exists(f => Is(f.Key, name));

    /// <summary>The value of the first field of that name, or null.</summary>
    public string? Get(string name)
    {
        foreach (var field in _fields)
        {
            if (Is(field.Key, name))
            {
                return field.Value;
            }
        }
        return null;
    }

    /// <summary>The values of every field of that name, in arrival order.</summary>
    public IReadOnlyList<string> GetAll(string name) => [.. _fields.Where(f => Is(f.Key, name)).Select(f => f.Value)];

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _fields.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static bool Is(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
