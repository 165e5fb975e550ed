using System.Globalization;

namespace AsyncCore.Enterprise;

/// <summary>Converts a database value to a CLR type: NULL to null/default, numbers across widths, enums, Guid from text.</summary>
internal static class ValueConverter
{
    public static T To<T>(object? value) => (T)To(value, typeof(T))!;

    public static object? To(object? value, Type type)
    {
        if (value is null || value is DBNull)
        {
            if (type.IsValueType && Nullable.GetUnderlyingType(type) is null)
            {
                throw new InvalidCastException($"SQL NULL cannot be converted to the non-nullable {type.Name}.");
            }
            return null;
        }
        if (type.IsInstanceOfType(value))
        {
            return value;
        }
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsInstanceOfType(value))
        {
            return value;
        }
        if (target.IsEnum)
        {
            return value is string name
                ? Enum.Parse(target, name, ignoreCase: true)
                : Enum.ToObject(target, Convert.ChangeType(value, Enum.GetUnderlyingType(target), CultureInfo.InvariantCulture));
        }
        if (target == typeof(Guid))
        {
            return value switch
            {
                string s => Guid.Parse(s),
                byte[] b => new Guid(b),
                _ => throw new InvalidCastException($"Cannot convert {value.GetType().Name} to Guid."),
            };
        }
        if (target == typeof(DateTimeOffset) && value is DateTime dt)
        {
            return new DateTimeOffset(dt);
        }
        if (target == typeof(DateOnly) && value is DateTime d)
        {
            return DateOnly.FromDateTime(d);
        }
        if (target == typeof(bool) && value is string text)
        {
            return text is "1" || bool.Parse(text);
        }
        return Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
    }
}
