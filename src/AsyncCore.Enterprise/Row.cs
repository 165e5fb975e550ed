using System.Collections;
using System.Data.Common;
using System.Globalization;

namespace AsyncCore.Enterprise;

/// <summary>
/// One result row (a DB-API row tuple): the values by position or by column name. SQL NULL is <c>null</c>, never
/// <see cref="DBNull"/>. Rows of one result set share their column list.
/// </summary>
public sealed class Row : IReadOnlyList<object?>
{
    private readonly RowSchema _schema;
    private readonly object?[] _values;

    internal Row(RowSchema schema, object?[] values)
    {
        _schema = schema;
        _values = values;
    }

    /// <summary>The column names, in order.</summary>
    public IReadOnlyList<string> Columns => _schema.Names;

    /// <summary>The number of columns.</summary>
    public int Count => _values.Length;

    /// <summary>The value of column <paramref name="index"/>.</summary>
    public object? this[int index] => _values[index];

    /// <summary>The value of the column named <paramref name="column"/> (case-insensitive).</summary>
    /// <exception cref="KeyNotFoundException">No such column.</exception>
    public object? this[string column] => _values[_schema.IndexOf(column)];

    /// <summary>The value of column <paramref name="index"/> converted to <typeparamref name="T"/>.</summary>
    public T Get<T>(int index) => ValueConverter.To<T>(_values[index]);

    /// <summary>The value of the column named <paramref name="column"/> converted to <typeparamref name="T"/>.</summary>
    public T Get<T>(string column) => ValueConverter.To<T>(this[column]);

    /// <summary>Enumerates the values.</summary>
    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)_values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The row as <c>(v1, v2, ...)</c>, as Python prints a row tuple.</summary>
    public override string ToString() =>
        "(" + string.Join(", ", _values.Select(v => v switch
        {
            null => "NULL",
            string s => "'" + s + "'",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString(),
        })) + ")";

    /// <summary>Reads every remaining row of the current result set, into an array of exactly their number.</summary>
    internal static Row[] ReadAll(DbDataReader reader, ref RowSchema? schema)
    {
        if (reader.FieldCount == 0)
        {
            return [];
        }
        schema = RowSchema.For(reader, schema);
        var rows = new ExactArrayBuilder<Row>();
        while (reader.Read())
        {
            rows.Add(Read(reader, schema));
        }
        return rows.ToArray();
    }

    /// <summary>Reads every remaining row of the current result set, asynchronously.</summary>
    internal static async Task<(List<Row> Rows, RowSchema? Schema)> ReadAllAsync(DbDataReader reader, RowSchema? schema, CancellationToken cancellationToken)
    {
        var rows = new List<Row>();
        if (reader.FieldCount == 0)
        {
            return (rows, schema);
        }
        schema = RowSchema.For(reader, schema);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(Read(reader, schema));
        }
        return (rows, schema);
    }

    private static Row Read(DbDataReader reader, RowSchema schema)
    {
        var values = new object?[schema.Names.Length];
        reader.GetValues(values!);
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is DBNull)
            {
                values[i] = null;
            }
        }
        return new Row(schema, values);
    }
}

/// <summary>The column names of a result set, shared by its rows.</summary>
internal sealed class RowSchema
{
    private Dictionary<string, int>? _index;

    private RowSchema(string[] names) => Names = names;

    public string[] Names { get; }

    /// <summary>The schema of the reader's current result set, reusing <paramref name="previous"/> when it matches.</summary>
    public static RowSchema For(DbDataReader reader, RowSchema? previous)
    {
        var count = reader.FieldCount;
        if (previous is not null && previous.Names.Length == count)
        {
            var same = true;
            for (var i = 0; i < count && same; i++)
            {
                same = string.Equals(previous.Names[i], reader.GetName(i), StringComparison.Ordinal);
            }
            if (same)
            {
                return previous;
            }
        }
        var names = new string[count];
        for (var i = 0; i < count; i++)
        {
            names[i] = reader.GetName(i);
        }
        return new RowSchema(names);
    }

    public int IndexOf(string column)
    {
        if (_index is null)
        {
            var index = new Dictionary<string, int>(Names.Length, StringComparer.OrdinalIgnoreCase);
            for (var i = Names.Length - 1; i >= 0; i--)
            {
                index[Names[i]] = i;
            }
            _index = index;
        }
        return _index.TryGetValue(column, out var at) ? at : throw new KeyNotFoundException($"The row has no column '{column}'.");
    }
}
