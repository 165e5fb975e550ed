using System.Diagnostics;
using System.Text;

namespace AsyncCore.Enterprise.Tests;

/// <summary>The SQL lexer: placeholders are found only where the provider's lexer would see them.</summary>
public sealed class SqlTextTests
{
    private static SqlText Parse(string sql, SqlDialect dialect, ParamStyle style) =>
        SqlText.Parse(sql, dialect, style, numberQmarks: dialect == SqlDialect.Sqlite);

    [Theory]
    // Comments, literals and quoted identifiers hide placeholders.
    [InlineData(nameof(SqlDialect.Sqlite), "SELECT ? -- ?\n, '?', \"?\", `?`, [?], /* ? */ ?", "SELECT ?1 -- ?\n, '?', \"?\", `?`, [?], /* ? */ ?2", 2)]
    [InlineData(nameof(SqlDialect.Sqlite), "SELECT ?2, ?1", "SELECT ?2, ?1", 2)]
    [InlineData(nameof(SqlDialect.Sqlite), "SELECT 'it''s ?', ?", "SELECT 'it''s ?', ?1", 1)]
    [InlineData(nameof(SqlDialect.MySql), "SELECT 'it\\'s ?', \"\\\" ?\", ? # ?\n -- ?\n", "SELECT 'it\\'s ?', \"\\\" ?\", ? # ?\n -- ?\n", 1)]
    [InlineData(nameof(SqlDialect.MySql), "SELECT 1--?\n", "SELECT 1--?\n", 1)]
    [InlineData(nameof(SqlDialect.Postgres), "SELECT $1 /* $2 /* nested $3 */ $4 */, $$ $5 $$, $f$ $6 $f$, E'\\' $7', '\\', $2", "SELECT $1 /* $2 /* nested $3 */ $4 */, $$ $5 $$, $f$ $6 $f$, E'\\' $7', '\\', $2", 2)]
    [InlineData(nameof(SqlDialect.Postgres), "SELECT data ? 'key', a$1 FROM t", "SELECT data ? 'key', a$1 FROM t", 0)]
    [InlineData(nameof(SqlDialect.Other), "SELECT [a?b], ? -- ?", "SELECT [a?b], ? -- ?", 1)]
    public void Positional_PlaceholdersOutsideLiteralsAndComments(string dialect, string sql, string expected, int count)
    {
        var parsed = Parse(sql, Enum.Parse<SqlDialect>(dialect), ParamStyle.Positional);
        Assert.Equal(expected, parsed.Text);
        Assert.Equal(count, parsed.ArgumentCount);
    }

    [Theory]
    [InlineData(nameof(SqlDialect.Postgres), "SELECT %s, '%s 100%%', $$ %s %% $$ -- %s %%\n, %s %% 3", "SELECT $1, '%s 100%', $$ %s % $$ -- %s %\n, $2 % 3", 2)]
    [InlineData(nameof(SqlDialect.MySql), "SELECT 'it\\'s %s', %s, `%s`", "SELECT 'it\\'s %s', ?, `%s`", 1)]
    [InlineData(nameof(SqlDialect.Sqlite), "SELECT %s, [%s], %s LIKE 'a%%'", "SELECT ?1, [%s], ?2 LIKE 'a%'", 2)]
    [InlineData(nameof(SqlDialect.Postgres), "SELECT x%s, %s1", "SELECT x $1, $2 1", 2)]
    [InlineData(nameof(SqlDialect.Postgres), "SELECT %%s", "SELECT %s", 0)]
    public void Format_PercentS_IsAPlaceholderOnlyOutsideLiterals_AndDoublePercentIsAPercentEverywhere(string dialect, string sql, string expected, int count)
    {
        var parsed = Parse(sql, Enum.Parse<SqlDialect>(dialect), ParamStyle.Format);
        Assert.Equal(expected, parsed.Text);
        Assert.Equal(count, parsed.ArgumentCount);
    }

    [Theory]
    [InlineData(nameof(SqlDialect.Sqlite), ParamStyle.Positional, "SELECT ?1, ?")]
    [InlineData(nameof(SqlDialect.Sqlite), ParamStyle.Positional, "SELECT ?, ?2")]
    [InlineData(nameof(SqlDialect.Postgres), ParamStyle.Format, "SELECT %s, $1")]
    [InlineData(nameof(SqlDialect.MySql), ParamStyle.Format, "SELECT ?, %s")]
    public void MixedPlaceholderKinds_FailClearly(string dialect, ParamStyle style, string sql)
    {
        var error = Assert.Throws<ArgumentException>(() => Parse(sql, Enum.Parse<SqlDialect>(dialect), style));
        Assert.Contains("mixes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Named_CountsTheHighestPN()
    {
        Assert.Equal(2, Parse("SELECT @p1, @p0, '@p7', @p0x, @@p5 -- @p9", SqlDialect.MySql, ParamStyle.Named).ArgumentCount);
        Assert.Equal(3, Parse("SELECT :p2, x::p9", SqlDialect.Postgres, ParamStyle.Named).ArgumentCount);
        Assert.Equal(0, Parse("SELECT @name", SqlDialect.Other, ParamStyle.Named).ArgumentCount);
    }

    [Fact]
    public void CheckArguments_ExtraOrMissing_FailsLikeDbApi_UnlessSomeBindByName()
    {
        var parsed = Parse("SELECT ?, ?", SqlDialect.MySql, ParamStyle.Positional);
        parsed.CheckArguments([1, 2]);
        Assert.Contains("Not all arguments converted", Assert.Throws<ArgumentException>(() => parsed.CheckArguments([1, 2, 3])).Message, StringComparison.Ordinal);
        Assert.Contains("Not enough arguments", Assert.Throws<ArgumentException>(() => parsed.CheckArguments([1])).Message, StringComparison.Ordinal);
        parsed.CheckArguments([1, 2, new NamedArg("x", 3)]);
    }

    [Fact]
    public void Cache_KeepsAtMostItsCapacity_DroppingTheLeastRecentlyUsed()
    {
        var cache = new SqlTextCache(3);
        SqlText Get(string sql) => cache.GetOrAdd(sql, static (s, _) => SqlText.Parse(s, SqlDialect.MySql, ParamStyle.Positional, false), 0);
        var a = Get("a");
        Get("b");
        Get("c");
        Assert.Same(a, Get("a"));
        Get("d");
        Assert.Equal(3, cache.Count);
        // "b" was the least recently used: parsed again; "a" was kept.
        Assert.Same(a, Get("a"));
        for (var i = 0; i < 10_000; i++)
        {
            Get("SELECT " + i);
        }
        Assert.Equal(3, cache.Count);
        cache.Clear();
        Assert.Equal(0, cache.Count);
    }

    private static readonly string[] s_tokens =
    [
        "'", "\"", "`", "[", "]", "--", "-- ", "#", "/*", "*/", "\n", "\\", "$$", "$a$", "$1", "$12", "$", "?", "?1", "?12",
        "%s", "%%", "%", "@p0", "@p1", ":p0", "$p0", "E'", "x", " ", "SELECT ", ",", "(", ")", "::", "@@", "é", "1", "s",
    ];

    private static readonly SqlDialect[] s_dialects = [SqlDialect.Sqlite, SqlDialect.Postgres, SqlDialect.MySql, SqlDialect.Other];

    private static readonly ParamStyle[] s_styles = [ParamStyle.Positional, ParamStyle.Named, ParamStyle.Format];

    [Fact]
    public void Fuzz_FixedSeed() => Fuzz(20_260_518, TimeSpan.FromSeconds(1));

    [Fact]
    public void Fuzz_RandomSeed() => Fuzz(Random.Shared.Next(), TimeSpan.FromSeconds(1));

    /// <summary>
    /// Random SQL-ish text: parsing throws nothing but the documented <see cref="ArgumentException"/>; what is not
    /// rewritten comes back unchanged; SQLite's numbering is idempotent; and every %s the Format style rewrites is seen as
    /// a placeholder (and nothing else is) when the result is lexed again in the native style.
    /// </summary>
    private static void Fuzz(int seed, TimeSpan budget)
    {
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        var sb = new StringBuilder();
        var runs = 0;
        while (clock.Elapsed < budget || runs < 1000)
        {
            sb.Clear();
            var length = random.Next(0, 24);
            for (var i = 0; i < length; i++)
            {
                sb.Append(s_tokens[random.Next(s_tokens.Length)]);
            }
            var sql = sb.ToString();
            foreach (var dialect in s_dialects)
            {
                foreach (var style in s_styles)
                {
                    try
                    {
                        Check(sql, dialect, style);
                    }
                    catch (Exception e) when (e is not ArgumentException)
                    {
                        Assert.Fail($"Fuzz seed {seed}: {dialect}/{style} on \"{Escape(sql)}\": {e}");
                    }
                }
            }
            runs++;
        }
    }

    private static void Check(string sql, SqlDialect dialect, ParamStyle style)
    {
        SqlText parsed;
        try
        {
            parsed = Parse(sql, dialect, style);
        }
        catch (ArgumentException)
        {
            return;
        }
        var numbering = dialect == SqlDialect.Sqlite && style == ParamStyle.Positional;
        if (style == ParamStyle.Named || (style == ParamStyle.Positional && !numbering) || (style == ParamStyle.Format && !sql.Contains('%', StringComparison.Ordinal)))
        {
            Assert.True(sql == parsed.Text, $"rewritten: \"{Escape(sql)}\" -> \"{Escape(parsed.Text)}\"");
        }
        if (numbering)
        {
            var again = Parse(parsed.Text, dialect, style);
            Assert.True(again.Text == parsed.Text && again.ArgumentCount == parsed.ArgumentCount,
                $"not idempotent: \"{Escape(sql)}\" -> \"{Escape(parsed.Text)}\" -> \"{Escape(again.Text)}\"");
        }
        if (style == ParamStyle.Format && parsed.ArgumentCount > 0)
        {
            var native = Parse(parsed.Text, dialect, ParamStyle.Positional);
            Assert.True(native.ArgumentCount == parsed.ArgumentCount,
                $"\"{Escape(sql)}\" -> \"{Escape(parsed.Text)}\": {parsed.ArgumentCount} %s but {native.ArgumentCount} native placeholders");
        }
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
