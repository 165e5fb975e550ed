namespace AsyncCore.Enterprise.Tests;

/// <summary>Seed 001's proxy: <c>proxy.GetUser("yoen")</c> calls a stored routine and fires with its rows.</summary>
public sealed class StoredProcedureProxyTests : IAsyncDisposable
{
    private readonly ReactorHarness _harness = ReactorHarness.Running();

    [Theory]
    [InlineData("GetUser", "get_user")]
    [InlineData("GetHTTPStatus", "get_http_status")]
    [InlineData("user2Name", "user2_name")]
    [InlineData("already_snake", "already_snake")]
    public void SnakeCase_MethodNames_BecomeRoutineNames(string method, string expected) =>
        Assert.Equal(expected, StoredProcedureProxy.SnakeCase(method));

    [Fact]
    public async Task SqlFor_FunctionsAndProcedures_UseTheirCallSyntax()
    {
        using var db = new SqliteDatabase();
        var pool = await _harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, _harness.Reactor));
        Assert.Equal("SELECT * FROM function_get_user(@p0)", pool.StoredProcedures().SqlFor("GetUser", 1));
        Assert.Equal("CALL sp_add_agent(@p0, @p1)",
            pool.StoredProcedures(new() { Prefix = "sp_", Kind = RoutineKind.Procedure }).SqlFor("AddAgent", 2));
        await _harness.Call(() => pool.Close());
    }

    [Fact]
    public async Task DynamicCall_PostgresFunction_FiresWithItsRows()
    {
        using var db = new PostgresDatabase();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        db.Direct($"CREATE TABLE users_{suffix} (name TEXT PRIMARY KEY, email TEXT)");
        db.Direct($"INSERT INTO users_{suffix} VALUES ('yoen', 'yoen@example.org'), ('other', 'o@example.org')");
        db.Direct($"""
            CREATE FUNCTION f{suffix}_get_user(p_name TEXT) RETURNS TABLE(name TEXT, email TEXT)
            LANGUAGE sql AS $$ SELECT name, email FROM users_{suffix} WHERE name = p_name $$
            """);
        var pool = await _harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, _harness.Reactor));
        dynamic proxy = pool.StoredProcedures(new() { Prefix = $"f{suffix}_" });
        var rows = await _harness.Call(() => (Deferred<IReadOnlyList<Row>>)proxy.GetUser("yoen"));
        var row = Assert.Single(rows);
        Assert.Equal("yoen@example.org", row["email"]);
        var typed = await _harness.Call(() => pool.StoredProcedures(new() { Prefix = $"f{suffix}_" }).Call<User>("GetUser", "other"));
        Assert.Equal([new User("other", "o@example.org")], typed);
        await _harness.Call(() => pool.Close());
    }

    [Fact]
    public async Task DynamicCall_MariaDbProcedure_FiresWithItsRows()
    {
        using var db = new MariaDbDatabase();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        db.Direct($"CREATE TABLE users_{suffix} (name VARCHAR(50) PRIMARY KEY, email VARCHAR(100))");
        db.Direct($"INSERT INTO users_{suffix} VALUES ('yoen', 'yoen@example.org')");
        db.Direct($"CREATE PROCEDURE p{suffix}_get_user(IN p_name VARCHAR(50)) SELECT name, email FROM users_{suffix} WHERE name = p_name");
        var pool = await _harness.Run(() => new ConnectionPool(db.Factory, db.ConnectionString, _harness.Reactor));
        dynamic proxy = pool.StoredProcedures(new() { Prefix = $"p{suffix}_", Kind = RoutineKind.Procedure });
        var rows = await _harness.Call(() => (Deferred<IReadOnlyList<Row>>)proxy.GetUser("yoen"));
        Assert.Equal("yoen@example.org", Assert.Single(rows)["email"]);
        await _harness.Call(() => pool.Close());
    }

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    public sealed record User(string Name, string Email);
}
