// Seed 000: the embedded demo. A temporary SQLite database, three avatars fetched at once with a DeferredList, and the
// pool shut down. Even without the final Close, the reactor's "before shutdown" trigger would close the pool, so the
// program could not hang on its worker threads (the seed's pitfall).
using AsyncCore;
using AsyncCore.Enterprise;
using AsyncCore.Reactors;
using AsyncCore.Tasks;
using Microsoft.Data.Sqlite;

var path = Path.Combine(Path.GetTempPath(), $"avatars-{Guid.NewGuid():N}.db");
try
{
    return ReactorMain.React(async reactor =>
    {
        var pool = new ConnectionPool(SqliteFactory.Instance, $"Data Source={path}", reactor, new ConnectionPoolOptions { Min = 1, Max = 3 });
        await pool.RunInteraction(txn =>
        {
            txn.Execute("CREATE TABLE avatars (id INTEGER PRIMARY KEY, name TEXT NOT NULL, color TEXT NOT NULL)");
            foreach (var (id, name, color) in new[] { (1, "Alice", "teal"), (2, "Bob", "amber"), (3, "Carol", "violet") })
            {
                txn.Execute("INSERT INTO avatars (id, name, color) VALUES (?, ?, ?)", id, name, color);
            }
            return 0;
        });

        // Three queries in flight together; the list fires once all three have.
        var fetches = new[] { 1, 2, 3 }.Select(id => pool.RunQuery<Avatar>("SELECT id, name, color FROM avatars WHERE id = ?", id));
        var results = await new DeferredList<IReadOnlyList<Avatar>>(fetches, consumeErrors: true);
        foreach (var item in results)
        {
            Console.WriteLine(item.Success ? $"avatar: {item.Value![0]}" : $"failed: {item.Failure}");
        }

        await pool.Close();
        Console.WriteLine("pool closed");
        return 0;
    });
}
finally
{
    SqliteConnection.ClearAllPools();
    File.Delete(path);
}

internal sealed record Avatar(long Id, string Name, string Color);
