using System.Data.Common;

namespace AsyncCore.Enterprise;

/// <summary>
/// What the pool knows about a provider without referencing it: recognised by the connection's type name, to pick the
/// positional placeholder syntax, the SQL lexer's dialect, and to rewrite <see cref="ParamStyle.Format"/> SQL.
/// </summary>
internal sealed class ProviderInfo
{
    /// <summary>How many distinct SQL texts a pool keeps lexed.</summary>
    internal const int SqlCacheCapacity = 1024;

    private readonly SqlTextCache _texts = new(SqlCacheCapacity);

    private ProviderInfo(string name, SqlDialect dialect, bool numericPositional, bool positionalSupported, ParamStyle requested, bool numberedQmarks = false)
    {
        Name = name;
        Dialect = dialect;
        NumericPositional = numericPositional;
        NumberedQmarks = numberedQmarks;
        Style = requested == ParamStyle.Auto ? (positionalSupported ? ParamStyle.Positional : ParamStyle.Named) : requested;
    }

    /// <summary>The provider's short name (sqlite, npgsql, mysql or the connection type's name).</summary>
    public string Name { get; }

    /// <summary>True when positional parameters are written <c>$1</c> (Npgsql), false for <c>?</c>.</summary>
    public bool NumericPositional { get; }

    /// <summary>
    /// True for Microsoft.Data.Sqlite, which binds parameters by name only: a bare <c>?</c> has no name in SQLite, so each
    /// one is rewritten to <c>?1</c>, <c>?2</c>... and the parameters are named to match.
    /// </summary>
    public bool NumberedQmarks { get; }

    /// <summary>
    /// True when the provider's async API does real asynchronous I/O (Npgsql, MySqlConnector), so that starting a call
    /// on the reactor thread costs only the time to send it. Microsoft.Data.Sqlite's async API is synchronous.
    /// </summary>
    public bool TrueAsync => Name is "npgsql" or "mysql";

    /// <summary>The effective style (never <see cref="ParamStyle.Auto"/>).</summary>
    public ParamStyle Style { get; }

    public static ProviderInfo For(DbConnection connection, ParamStyle requested) =>
        connection.GetType().FullName switch
        {
            "Microsoft.Data.Sqlite.SqliteConnection" => new("sqlite", SqlDialect.Sqlite, false, true, requested, numberedQmarks: true),
            "Npgsql.NpgsqlConnection" => new("npgsql", SqlDialect.Postgres, true, true, requested),
            "MySqlConnector.MySqlConnection" => new("mysql", SqlDialect.MySql, false, true, requested),
            var other => new(other ?? "unknown", SqlDialect.Other, false, false, requested),
        };

    /// <summary>
    /// The SQL to send for <paramref name="sql"/> (placeholders rewritten for <see cref="ParamStyle.Format"/> and SQLite's
    /// bare <c>?</c>) and how many positional arguments it takes; lexed once per distinct text while it stays in the
    /// bounded cache.
    /// </summary>
    /// <exception cref="ArgumentException">The text mixes placeholder kinds.</exception>
    public SqlText Parse(string sql) => _texts.GetOrAdd(sql, static (s, self) => SqlText.Parse(s, self.Dialect, self.Style, self.NumberedQmarks), this);

    /// <summary>The SQL lexer's dialect for this provider.</summary>
    public SqlDialect Dialect { get; }

    /// <summary>The cache of lexed SQL texts (bounded: least recently used out).</summary>
    internal SqlTextCache Texts => _texts;

    /// <summary>Forgets the lexed SQL texts (the pool closed).</summary>
    public void ClearCache() => _texts.Clear();

    /// <summary>The name a positional argument's parameter gets: none, or <c>?N</c> where bare qmarks are numbered.</summary>
    private string PositionalName(int index) =>
        NumberedQmarks ? "?" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : "";

    /// <summary>Binds <paramref name="args"/> to <paramref name="command"/>, reusing its parameters when the shape matches.</summary>
    public void Bind(DbCommand command, IReadOnlyList<object?> args)
    {
        var parameters = command.Parameters;
        if (parameters.Count == args.Count && parameters.Count > 0 && TryRebind(parameters, args))
        {
            return;
        }
        if (parameters.Count > 0)
        {
            parameters.Clear();
        }
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case DbParameter p:
                    parameters.Add(p);
                    break;
                case NamedArg named:
                    var np = command.CreateParameter();
                    np.ParameterName = named.Name;
                    np.Value = named.Value ?? DBNull.Value;
                    parameters.Add(np);
                    break;
                case var value:
                    var pp = command.CreateParameter();
                    var name = ExpectedName(i);
                    if (name.Length > 0)
                    {
                        pp.ParameterName = name;
                    }
                    pp.Value = value ?? DBNull.Value;
                    parameters.Add(pp);
                    break;
            }
        }
    }

    // Setting a new value on the parameters already bound avoids re-creating them; only when every argument is a plain
    // value of the same type as before (so the provider's inferred type stays right).
    private string ExpectedName(int index) =>
        Style == ParamStyle.Named ? "p" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) : PositionalName(index);

    private bool TryRebind(DbParameterCollection parameters, IReadOnlyList<object?> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var parameter = parameters[i];
            if (arg is null or DbParameter or NamedArg || parameter.Value?.GetType() != arg.GetType()
                || !string.Equals(parameter.ParameterName ?? "", ExpectedName(i), StringComparison.Ordinal))
            {
                return false;
            }
        }
        for (var i = 0; i < args.Count; i++)
        {
            parameters[i].Value = args[i];
        }
        return true;
    }
}
