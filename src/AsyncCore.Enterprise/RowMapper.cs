using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace AsyncCore.Enterprise;

/// <summary>
/// Maps result rows to <typeparamref name="T"/> without an ORM: a scalar type takes the first column; a record or class
/// gets its constructor parameters and then its settable properties from the columns of the same name (case and
/// underscores ignored, so <c>user_name</c> fills <c>UserName</c>). The constructor used is the public one whose
/// parameters all have a column, with the most parameters.
/// </summary>
/// <typeparam name="T">The row type.</typeparam>
public static class RowMapper<[DynamicallyAccessedMembers(Members)] T>
{
    internal const DynamicallyAccessedMemberTypes Members =
        DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties;

    private static readonly ConcurrentDictionary<string, Plan> s_plans = new(StringComparer.Ordinal);
    private static readonly bool s_scalar = IsScalar(typeof(T));

    /// <summary>Maps one <see cref="Row"/>.</summary>
    public static T Map(Row row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (s_scalar)
        {
            return ValueConverter.To<T>(row[0]);
        }
        var plan = PlanFor(row.Columns.ToArray());
        return plan.Create(i => row[i]);
    }

    internal static T[] ReadAll(DbDataReader reader)
    {
        if (reader.FieldCount == 0)
        {
            return [];
        }
        var items = new ExactArrayBuilder<T>();
        if (s_scalar)
        {
            while (reader.Read())
            {
                items.Add(ValueConverter.To<T>(reader.GetValue(0)));
            }
            return items.ToArray();
        }
        var plan = PlanFor(reader);
        // One delegate for every row, not one per row.
        Func<int, object?> value = reader.GetValue;
        while (reader.Read())
        {
            items.Add(plan.Create(value));
        }
        return items.ToArray();
    }

    internal static async Task<List<T>> ReadAllAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var list = new List<T>();
        if (reader.FieldCount == 0)
        {
            return list;
        }
        var plan = s_scalar ? null : PlanFor(reader);
        Func<int, object?> value = reader.GetValue;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(plan is null ? ValueConverter.To<T>(reader.GetValue(0)) : plan.Create(value));
        }
        return list;
    }

    private static Plan PlanFor(DbDataReader reader)
    {
        var names = new string[reader.FieldCount];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = reader.GetName(i);
        }
        return PlanFor(names);
    }

    private static Plan PlanFor(string[] columns) =>
        s_plans.GetOrAdd(string.Join('\u001f', columns), static (_, cols) => Plan.Build(cols), columns);

    private static bool IsScalar(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(DateTime)
            || t == typeof(DateTimeOffset) || t == typeof(DateOnly) || t == typeof(TimeOnly) || t == typeof(TimeSpan)
            || t == typeof(Guid) || t == typeof(byte[]) || t == typeof(object);
    }

    private static string Normalize(string name) => name.Replace("_", "", StringComparison.Ordinal).ToUpperInvariant();

    private sealed class Plan
    {
        private ConstructorInfo _constructor = null!;
        private (int Column, Type Type)[] _arguments = [];
        private (int Column, PropertyInfo Property)[] _properties = [];

        public T Create(Func<int, object?> value)
        {
            var args = new object?[_arguments.Length];
            for (var i = 0; i < args.Length; i++)
            {
                var (column, type) = _arguments[i];
                args[i] = ValueConverter.To(value(column), type);
            }
            var instance = (T)_constructor.Invoke(args);
            foreach (var (column, property) in _properties)
            {
                property.SetValue(instance, ValueConverter.To(value(column), property.PropertyType));
            }
            return instance;
        }

        public static Plan Build(string[] columns)
        {
            var byName = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = columns.Length - 1; i >= 0; i--)
            {
                byName[Normalize(columns[i])] = i;
            }
            ConstructorInfo? best = null;
            (int, Type)[]? bestArgs = null;
            foreach (var ctor in typeof(T).GetConstructors())
            {
                var parameters = ctor.GetParameters();
                var args = new (int, Type)[parameters.Length];
                var ok = true;
                for (var i = 0; i < parameters.Length && ok; i++)
                {
                    ok = byName.TryGetValue(Normalize(parameters[i].Name ?? ""), out var column);
                    args[i] = (column, parameters[i].ParameterType);
                }
                if (ok && (bestArgs is null || args.Length > bestArgs.Length))
                {
                    best = ctor;
                    bestArgs = args;
                }
            }
            if (best is null || bestArgs is null)
            {
                throw new InvalidOperationException(
                    $"{typeof(T).Name} has no public constructor whose parameters all match columns ({string.Join(", ", columns)}).");
            }
            var used = new HashSet<int>(bestArgs.Select(a => a.Item1));
            var properties = new List<(int, PropertyInfo)>();
            foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.SetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0
                    && byName.TryGetValue(Normalize(property.Name), out var column) && !used.Contains(column))
                {
                    properties.Add((column, property));
                }
            }
            return new Plan { _constructor = best, _arguments = bestArgs, _properties = [.. properties] };
        }
    }
}
