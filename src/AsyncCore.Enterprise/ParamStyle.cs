namespace AsyncCore.Enterprise;

/// <summary>
/// How positional arguments are bound to a command (DB-API's <c>paramstyle</c>). Whatever the style, an argument that is
/// a <see cref="System.Data.Common.DbParameter"/> or a <see cref="NamedArg"/> is bound by its own name.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>provider</term><description>placeholders for <see cref="Positional"/> (the <see cref="Auto"/> choice)</description></listheader>
/// <item><term>Microsoft.Data.Sqlite</term><description><c>?</c> (also <c>?1</c>); Named: <c>@p0</c>, <c>$p0</c>, <c>:p0</c></description></item>
/// <item><term>Npgsql</term><description><c>$1</c>, <c>$2</c>...; Named: <c>@p0</c></description></item>
/// <item><term>MySqlConnector</term><description><c>?</c>; Named: <c>@p0</c></description></item>
/// <item><term>other providers</term><description>Auto picks <see cref="Named"/> (<c>@p0</c>)</description></item>
/// </list>
/// </remarks>
public enum ParamStyle
{
    /// <summary><see cref="Positional"/> for the providers known to bind unnamed parameters by position, else <see cref="Named"/>.</summary>
    Auto,

    /// <summary>Arguments become unnamed parameters bound in order: <c>?</c> (qmark) or <c>$1</c> (numeric), per provider.</summary>
    Positional,

    /// <summary>Argument <c>i</c> becomes the parameter <c>p{i}</c>: write <c>@p0</c>, <c>@p1</c>... in the SQL.</summary>
    Named,

    /// <summary>
    /// MySQLdb/psycopg2 style: each <c>%s</c> outside literals and comments is rewritten to the provider's positional
    /// placeholder, so SQL ported from Twisted code runs unchanged (<c>%%</c> is a literal percent sign, inside literals
    /// too, as the DB-API drivers format the whole text).
    /// </summary>
    Format,
}

/// <summary>A named argument, bound as a parameter called <see cref="Name"/> whatever the pool's <see cref="ParamStyle"/>.</summary>
/// <param name="Name">The parameter name, without the provider's prefix character.</param>
/// <param name="Value">The value; null binds SQL NULL.</param>
public readonly record struct NamedArg(string Name, object? Value);
