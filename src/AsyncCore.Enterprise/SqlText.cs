using System.Globalization;
using System.Text;

namespace AsyncCore.Enterprise;

/// <summary>The SQL lexical rules that differ between providers: quoting, comments, and what a placeholder is.</summary>
internal enum SqlDialect
{
    /// <summary>SQLite: '…', "…", `…` and […] quote; <c>?</c>, <c>?NNN</c>, <c>:name</c>, <c>@name</c>, <c>$name</c> are parameters.</summary>
    Sqlite,

    /// <summary>
    /// PostgreSQL: '…' (backslash escapes only in E'…'), "…", nested /* */ comments, $$…$$ and $tag$…$tag$ bodies;
    /// <c>$1</c> is a parameter and <c>?</c> an operator.
    /// </summary>
    Postgres,

    /// <summary>MySQL/MariaDB: '…' and "…" with backslash escapes, `…`, <c>#</c> and <c>-- </c> comments; <c>?</c> is a parameter.</summary>
    MySql,

    /// <summary>Any other provider: '…', "…", […] (SQL Server), standard comments; <c>?</c> is a parameter.</summary>
    Other,
}

/// <summary>
/// SQL text as the pool sends it: placeholders rewritten for the provider (<see cref="ParamStyle.Format"/>, and bare
/// <c>?</c> on SQLite), and the number of positional arguments the text expects. Found by a lexer that knows the
/// provider's literals, quoted identifiers and comments, so that nothing inside them is taken for a placeholder.
/// </summary>
internal sealed class SqlText
{
    private SqlText(string text, int argumentCount)
    {
        Text = text;
        ArgumentCount = argumentCount;
    }

    /// <summary>The text to send.</summary>
    public string Text { get; }

    /// <summary>How many positional (plain value) arguments the text expects.</summary>
    public int ArgumentCount { get; }

    /// <summary>
    /// Checks that <paramref name="args"/> match the placeholders (DB-API's "not all arguments converted"). Skipped when an
    /// argument binds by name or is a provider parameter: the text then cannot tell how many it takes.
    /// </summary>
    /// <exception cref="ArgumentException">Too many or too few arguments.</exception>
    public void CheckArguments(IReadOnlyList<object?> args)
    {
        if (args.Count == ArgumentCount)
        {
            return;
        }
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is NamedArg or System.Data.Common.DbParameter)
            {
                return;
            }
        }
        throw new ArgumentException(args.Count > ArgumentCount
            ? $"Not all arguments converted: the SQL has {Placeholders(ArgumentCount)} but {args.Count} argument(s) were given."
            : $"Not enough arguments: the SQL has {Placeholders(ArgumentCount)} but {args.Count} argument(s) were given.", nameof(args));
    }

    private static string Placeholders(int count) => count == 1 ? "1 placeholder" : count.ToString(CultureInfo.InvariantCulture) + " placeholders";

    /// <summary>Lexes <paramref name="sql"/> for <paramref name="dialect"/> and <paramref name="style"/> (not Auto).</summary>
    /// <exception cref="ArgumentException">
    /// Placeholders of two kinds mixed (<c>?</c> with <c>?1</c>, or <c>%s</c> with the provider's own), which would bind
    /// values to the wrong places.
    /// </exception>
    public static SqlText Parse(string sql, SqlDialect dialect, ParamStyle style, bool numberQmarks) =>
        new Lexer(sql, dialect, style, numberQmarks).Run();

    private ref struct Lexer(string sql, SqlDialect dialect, ParamStyle style, bool numberQmarks)
    {
        private readonly bool _format = style == ParamStyle.Format;
        // Rewriting: %s in Format style; bare ? numbered on SQLite in Positional style.
        private readonly bool _rewriteQmarks = style == ParamStyle.Positional && numberQmarks;
        private StringBuilder? _sb;
        // The input copied to _sb so far (when rewriting).
        private int _copied;
        private int _formats;
        private int _bareQmarks;
        private int _maxNumbered;
        private int _maxNamed;
        private int _firstNumbered = -1;
        private int _firstBare = -1;

        public SqlText Run()
        {
            var i = 0;
            while (i < sql.Length)
            {
                i = Step(i);
            }
            return Finish();
        }

        /// <summary>Lexes the token at <paramref name="i"/> (outside any literal or comment); returns where the next starts.</summary>
        private int Step(int i)
        {
            var c = sql[i];
            switch (c)
            {
                case '\'':
                    {
                        // PostgreSQL: backslash escapes only in E'…' strings (standard_conforming_strings is on).
                        var escapes = dialect == SqlDialect.MySql
                            || (dialect == SqlDialect.Postgres && i > 0 && sql[i - 1] is 'E' or 'e' && (i < 2 || !IsIdentifierChar(sql[i - 2])));
                        return Quoted(i, '\'', escapes);
                    }
                case '"':
                    return Quoted(i, '"', dialect == SqlDialect.MySql);
                case '`' when dialect is SqlDialect.MySql or SqlDialect.Sqlite:
                    return Quoted(i, '`', false);
                case '[' when dialect is SqlDialect.Sqlite or SqlDialect.Other:
                    return Quoted(i, ']', false);
                case '-' when At(i + 1) == '-' && (dialect != SqlDialect.MySql || i + 2 >= sql.Length || sql[i + 2] <= ' '):
                case '#' when dialect == SqlDialect.MySql:
                    return Skipped(i, LineEnd(i));
                case '/' when At(i + 1) == '*':
                    return Skipped(i, BlockCommentEnd(i));
                case '$' when dialect == SqlDialect.Postgres && (i == 0 || !IsIdentifierChar(sql[i - 1])):
                    return Dollar(i);
                case '?' when dialect != SqlDialect.Postgres:
                    return Qmark(i);
                case '@' or ':' or '$' when IsNamedPrefix(c) && (i == 0 || (!IsNameChar(sql[i - 1]) && sql[i - 1] != c)):
                    return NamedParameter(i);
                case '%' when _format:
                    return Percent(i);
                default:
                    return i + 1;
            }
        }

        // @name everywhere; :name except on MySQL; $name on SQLite (on PostgreSQL '$' is handled above).
        private readonly bool IsNamedPrefix(char c) => c switch
        {
            '@' => true,
            ':' => dialect != SqlDialect.MySql,
            _ => dialect == SqlDialect.Sqlite,
        };

        private readonly char At(int i) => i < sql.Length ? sql[i] : '\0';

        private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';

        private static bool IsNameChar(char c) => char.IsLetterOrDigit(c) || c is '_';

        /// <summary>A literal or quoted identifier from <paramref name="i"/>: ends at the closing quote (a doubled one reopens it).</summary>
        private int Quoted(int i, char close, bool backslashEscapes)
        {
            var j = i + 1;
            while (j < sql.Length)
            {
                var c = sql[j];
                if (backslashEscapes && c == '\\')
                {
                    j += 2;
                    continue;
                }
                j++;
                if (c == close)
                {
                    return Skipped(i, j);
                }
            }
            // Unterminated: the rest is the literal (the server reports the error).
            return Skipped(i, sql.Length);
        }

        private readonly int LineEnd(int i)
        {
            var end = sql.IndexOf('\n', i);
            return end < 0 ? sql.Length : end + 1;
        }

        private readonly int BlockCommentEnd(int i)
        {
            // PostgreSQL nests block comments; the others end at the first */.
            var depth = 0;
            var j = i;
            while (j < sql.Length - 1)
            {
                if (sql[j] == '/' && sql[j + 1] == '*')
                {
                    depth++;
                    j += 2;
                    if (dialect != SqlDialect.Postgres && depth > 1)
                    {
                        depth = 1;
                    }
                }
                else if (sql[j] == '*' && sql[j + 1] == '/')
                {
                    j += 2;
                    if (--depth == 0)
                    {
                        return j;
                    }
                }
                else
                {
                    j++;
                }
            }
            return sql.Length;
        }

        /// <summary>PostgreSQL at a '$' not inside a word: a parameter $N, a dollar-quoted body, or an ordinary character.</summary>
        private int Dollar(int i)
        {
            var j = i + 1;
            if (j < sql.Length && char.IsAsciiDigit(sql[j]))
            {
                while (j < sql.Length && char.IsAsciiDigit(sql[j]))
                {
                    j++;
                }
                Numbered(i, j);
                return j;
            }
            // $tag$ where the tag is empty or an identifier (not starting with a digit, no '$').
            while (j < sql.Length && (char.IsLetterOrDigit(sql[j]) || sql[j] == '_'))
            {
                j++;
            }
            if (j >= sql.Length || sql[j] != '$')
            {
                return i + 1;
            }
            var tag = sql.AsSpan(i, j + 1 - i);
            var close = sql.AsSpan(j + 1).IndexOf(tag, StringComparison.Ordinal);
            return Skipped(i, close < 0 ? sql.Length : j + 1 + close + tag.Length);
        }

        private int Qmark(int i)
        {
            var j = i + 1;
            if (dialect == SqlDialect.Sqlite)
            {
                while (j < sql.Length && char.IsAsciiDigit(sql[j]))
                {
                    j++;
                }
                if (j > i + 1)
                {
                    Numbered(i, j);
                    return j;
                }
            }
            _bareQmarks++;
            if (_firstBare < 0)
            {
                _firstBare = i;
            }
            if (_rewriteQmarks)
            {
                Replace(i, i + 1, "?" + _bareQmarks.ToString(CultureInfo.InvariantCulture));
            }
            return j;
        }

        /// <summary>A numbered parameter (<c>$N</c>, <c>?N</c>) spanning [<paramref name="i"/>, <paramref name="end"/>).</summary>
        private void Numbered(int i, int end)
        {
            if (_firstNumbered < 0)
            {
                _firstNumbered = i;
            }
            // An absurd number is not a count of arguments; int.MaxValue makes any argument list fail the check clearly.
            var n = int.TryParse(sql.AsSpan(i + 1, end - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : int.MaxValue;
            _maxNumbered = Math.Max(_maxNumbered, n);
        }

        /// <summary>A named parameter: in <see cref="ParamStyle.Named"/> style, <c>@pN</c> (or <c>:pN</c>, and <c>$pN</c> on SQLite) binds argument N.</summary>
        private int NamedParameter(int i)
        {
            var j = i + 1;
            if (j < sql.Length && sql[j] == 'p')
            {
                var k = j + 1;
                while (k < sql.Length && char.IsAsciiDigit(sql[k]))
                {
                    k++;
                }
                if (k > j + 1 && (k == sql.Length || !IsNameChar(sql[k])))
                {
                    var n = int.TryParse(sql.AsSpan(j + 1, k - j - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value < int.MaxValue
                        ? value + 1
                        : int.MaxValue;
                    _maxNamed = Math.Max(_maxNamed, n);
                    return k;
                }
            }
            while (j < sql.Length && IsNameChar(sql[j]))
            {
                j++;
            }
            return j;
        }

        /// <summary>Format style: <c>%s</c> is the next argument's placeholder, <c>%%</c> a percent sign.</summary>
        private int Percent(int i)
        {
            switch (At(i + 1))
            {
                case 's':
                    _formats++;
                    Replace(i, i + 2, Separated(i, FormatPlaceholder(_formats)));
                    return i + 2;
                case '%':
                    Replace(i, i + 2, "%");
                    return i + 2;
                default:
                    return i + 1;
            }
        }

        /// <summary>
        /// Keeps a numbered placeholder from merging with its neighbours (<c>x%s</c> must not become the identifier
        /// <c>x$1</c> on PostgreSQL, nor <c>%s1</c> the placeholder <c>$11</c>): a space goes between them.
        /// </summary>
        private readonly string Separated(int i, string placeholder)
        {
            if (dialect == SqlDialect.Postgres && i > 0 && IsIdentifierChar(sql[i - 1]))
            {
                placeholder = " " + placeholder;
            }
            if (placeholder[^1] != '?' && char.IsAsciiDigit(At(i + 2)))
            {
                placeholder += " ";
            }
            return placeholder;
        }

        private readonly string FormatPlaceholder(int n) => dialect switch
        {
            SqlDialect.Postgres => "$" + n.ToString(CultureInfo.InvariantCulture),
            SqlDialect.Sqlite when numberQmarks => "?" + n.ToString(CultureInfo.InvariantCulture),
            _ => "?",
        };

        /// <summary>
        /// Skips a literal, quoted identifier or comment [<paramref name="i"/>, <paramref name="end"/>): nothing in it is a
        /// placeholder, but in Format style <c>%%</c> still becomes <c>%</c> there, as DB-API drivers format the whole text.
        /// </summary>
        private int Skipped(int i, int end)
        {
            if (_format)
            {
                var j = sql.IndexOf("%%", i, end - i, StringComparison.Ordinal);
                while (j >= 0 && j + 1 < end)
                {
                    Replace(j, j + 2, "%");
                    j = j + 2 < end ? sql.IndexOf("%%", j + 2, end - j - 2, StringComparison.Ordinal) : -1;
                }
            }
            return end;
        }

        /// <summary>Sends <paramref name="replacement"/> instead of the input [<paramref name="start"/>, <paramref name="end"/>).</summary>
        private void Replace(int start, int end, string replacement)
        {
            _sb ??= new StringBuilder(sql.Length + 8);
            _sb.Append(sql, _copied, start - _copied).Append(replacement);
            _copied = end;
        }

        private readonly SqlText Finish()
        {
            var text = _sb is null ? sql : _sb.Append(sql, _copied, sql.Length - _copied).ToString();
            var numbered = dialect is SqlDialect.Sqlite or SqlDialect.Postgres;
            if (_bareQmarks > 0 && _firstNumbered >= 0 && dialect == SqlDialect.Sqlite && style != ParamStyle.Named)
            {
                throw new ArgumentException(
                    $"The SQL mixes bare ? placeholders (at {_firstBare}) with numbered ones ({Excerpt(_firstNumbered)}): the bare ones " +
                    "would be numbered in order and bind the wrong values. Use one kind.", nameof(sql));
            }
            var native = numbered ? (_bareQmarks > 0 ? _bareQmarks : _maxNumbered) : _bareQmarks;
            if (_formats > 0 && native > 0)
            {
                var first = numbered && _firstNumbered >= 0 ? _firstNumbered : _firstBare;
                throw new ArgumentException(
                    $"The SQL mixes %s placeholders with the provider's own ({Excerpt(first)}); in the Format paramstyle write " +
                    "every placeholder as %s.", nameof(sql));
            }
            var count = style switch
            {
                ParamStyle.Named => _maxNamed,
                ParamStyle.Format when _formats > 0 => _formats,
                _ => native,
            };
            return new SqlText(text, count);
        }

        private readonly string Excerpt(int at)
        {
            var end = at + 1;
            while (end < sql.Length && char.IsAsciiDigit(sql[end]))
            {
                end++;
            }
            return sql[at..end] + " at " + at.ToString(CultureInfo.InvariantCulture);
        }
    }
}
