using System.Dynamic;
using System.Globalization;
using System.Text;

namespace AsyncCore.Enterprise;

/// <summary>
/// Calls stored functions or procedures by method name (seed 001's proxy): with <c>dynamic</c>,
/// <c>proxy.GetUser("yoen")</c> runs <c>SELECT * FROM function_get_user(@p0)</c> (or <c>CALL get_user(@p0)</c> for
/// procedures) and returns a <see cref="Deferred{T}"/> of its rows. Without <c>dynamic</c>, use <see cref="Call"/>.
/// </summary>
/// <remarks>
/// Arguments are always bound as named parameters <c>@p0</c>, <c>@p1</c>..., which Npgsql and MySqlConnector both accept.
/// The routine name is <see cref="StoredProcedureOptions.Prefix"/> plus the method name in snake_case (or as written),
/// and must be an identifier (optionally <c>schema.name</c>): anything else throws <see cref="ArgumentException"/>.
/// </remarks>
public sealed class StoredProcedureProxy : DynamicObject
{
    internal const string DynamicReason = "The proxy is a DynamicObject: calling it through 'dynamic' needs dynamic code. Under AOT, use ConnectionPool.RunQuery with the routine's SQL.";

    private readonly ConnectionPool _pool;
    private readonly StoredProcedureOptions _options;

    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(DynamicReason)]
    internal StoredProcedureProxy(ConnectionPool pool, StoredProcedureOptions options)
    {
        _pool = pool;
        _options = options;
    }

    /// <summary>Calls the routine for <paramref name="method"/> with <paramref name="args"/>; fires with its rows.</summary>
    /// <exception cref="ArgumentException">The routine name is not an identifier (optionally schema-qualified).</exception>
    public Deferred<IReadOnlyList<Row>> Call(string method, params object?[] args)
    {
        var (sql, named) = Build(method, args ?? []);
        return _pool.RunQuery(sql, named);
    }

    /// <summary>Calls the routine for <paramref name="method"/> and maps its rows to <typeparamref name="T"/>.</summary>
    public Deferred<IReadOnlyList<T>> Call<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(RowMapper<object>.Members)] T>(string method, params object?[] args)
    {
        var (sql, named) = Build(method, args ?? []);
        return _pool.RunQuery<T>(sql, named);
    }

    /// <summary>The SQL that <see cref="Call"/> runs for <paramref name="method"/> with <paramref name="argumentCount"/> arguments.</summary>
    /// <exception cref="ArgumentException">The routine name is not an identifier (optionally schema-qualified).</exception>
    public string SqlFor(string method, int argumentCount)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        var name = _options.Prefix + (_options.SnakeCase ? SnakeCase(method) : method);
        ValidateRoutineName(name, method);
        var placeholders = string.Join(", ", Enumerable.Range(0, argumentCount).Select(i => "@p" + i.ToString(CultureInfo.InvariantCulture)));
        return _options.Kind == RoutineKind.Procedure
            ? $"CALL {name}({placeholders})"
            : $"SELECT * FROM {name}({placeholders})";
    }

    /// <inheritdoc />
    public override bool TryInvokeMember(InvokeMemberBinder binder, object?[]? args, out object? result)
    {
        ArgumentNullException.ThrowIfNull(binder);
        result = Call(binder.Name, args ?? []);
        return true;
    }

    private (string Sql, object?[] Args) Build(string method, object?[] args)
    {
        var named = new object?[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            named[i] = new NamedArg("p" + i.ToString(CultureInfo.InvariantCulture), args[i]);
        }
        return (SqlFor(method, args.Length), named);
    }

    /// <summary>
    /// The routine name goes into the SQL text (it cannot be a parameter): it must be an identifier, optionally qualified
    /// (<c>schema.name</c>), made of letters, digits, <c>_</c> and <c>$</c>, not starting with a digit or <c>$</c>.
    /// Anything else (quotes, spaces, parentheses, comment markers, semicolons) is refused, so that no method name can
    /// change the statement.
    /// </summary>
    internal static void ValidateRoutineName(string name, string method)
    {
        var parts = name.Split('.');
        var valid = parts.Length <= 3;
        foreach (var part in parts)
        {
            valid &= part.Length > 0 && (char.IsLetter(part[0]) || part[0] == '_');
            foreach (var c in part)
            {
                valid &= char.IsLetterOrDigit(c) || c is '_' or '$';
            }
        }
        if (!valid)
        {
            throw new ArgumentException(
                $"'{name}' is not a valid routine name: use letters, digits, '_' and '$' (an optionally schema-qualified " +
                "identifier, not starting with a digit). The name becomes part of the SQL text.", nameof(method));
        }
    }

    /// <summary><c>GetUser</c> → <c>get_user</c>, <c>GetHTTPStatus</c> → <c>get_http_status</c>.</summary>
    internal static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var boundary = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1])
                    || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
                if (boundary && sb.Length > 0 && sb[^1] != '_')
                {
                    sb.Append('_');
                }
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}

/// <summary>How a <see cref="StoredProcedureProxy"/> names and calls routines.</summary>
public sealed class StoredProcedureOptions
{
    /// <summary>Prepended to the routine name (default <c>function_</c>, as in seed 001).</summary>
    public string Prefix { get; set; } = "function_";

    /// <summary>Turn <c>GetUser</c> into <c>get_user</c> (default true); false keeps the method name as written.</summary>
    public bool SnakeCase { get; set; } = true;

    /// <summary>Functions (<c>SELECT * FROM f(...)</c>, PostgreSQL) or procedures (<c>CALL p(...)</c>, MySQL/MariaDB).</summary>
    public RoutineKind Kind { get; set; } = RoutineKind.Function;
}

/// <summary>How a routine is invoked.</summary>
public enum RoutineKind
{
    /// <summary><c>SELECT * FROM name(args)</c>: a set-returning function (PostgreSQL).</summary>
    Function,

    /// <summary><c>CALL name(args)</c>: a procedure that returns a result set (MySQL, MariaDB).</summary>
    Procedure,
}
