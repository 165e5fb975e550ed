// Seed 001: PostgreSQL stored functions called through a dynamic proxy: proxy.GetUser("yoen") runs
// SELECT * FROM function_get_user(@p0) and fires with the rows.
using AsyncCore;
using AsyncCore.Enterprise;
using AsyncCore.Reactors;
using AsyncCore.Tasks;
using Npgsql;

var cs = Environment.GetEnvironmentVariable("ASYNCCORE_PG");
if (string.IsNullOrEmpty(cs))
{
    Console.Error.WriteLine("ASYNCCORE_PG is not set. Start PostgreSQL with `eval \"$(bash eng/services.sh start)\"` and run again.");
    return 2;
}

return ReactorMain.React(async reactor =>
{
    var pool = new ConnectionPool(NpgsqlFactory.Instance, cs, reactor, new ConnectionPoolOptions { Reconnect = true });
    await pool.RunInteraction(txn =>
    {
        txn.Execute("CREATE TABLE IF NOT EXISTS sample_users (name TEXT PRIMARY KEY, email TEXT NOT NULL)");
        txn.Execute("INSERT INTO sample_users VALUES ('yoen', 'yoen@example.org') ON CONFLICT (name) DO NOTHING");
        txn.Execute("""
            CREATE OR REPLACE FUNCTION function_get_user(p_name TEXT) RETURNS TABLE(name TEXT, email TEXT)
            LANGUAGE sql AS $$ SELECT name, email FROM sample_users WHERE name = p_name $$
            """);
        return 0;
    });

    dynamic proxy = pool.StoredProcedures();  // prefix "function_", GetUser -> get_user
    Deferred<IReadOnlyList<Row>> call = proxy.GetUser("yoen");
    foreach (var row in await call)
    {
        Console.WriteLine($"user: {row["name"]} <{row["email"]}>");
    }
    await pool.Close();
    return 0;
});
