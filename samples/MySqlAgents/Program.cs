// Seed 003: agents in MySQL/MariaDB with select, insert and update, written with MySQLdb's %s placeholders
// (ParamStyle.Format) exactly as the Twisted code had them.
using AsyncCore.Enterprise;
using AsyncCore.Reactors;
using AsyncCore.Tasks;
using MySqlConnector;

var cs = Environment.GetEnvironmentVariable("ASYNCCORE_MYSQL");
if (string.IsNullOrEmpty(cs))
{
    Console.Error.WriteLine("ASYNCCORE_MYSQL is not set. Start MariaDB with `eval \"$(bash eng/services.sh start)\"` and run again.");
    return 2;
}

return ReactorMain.React(async reactor =>
{
    var pool = new ConnectionPool(MySqlConnectorFactory.Instance, cs, reactor,
        new ConnectionPoolOptions { ParamStyle = ParamStyle.Format, Reconnect = true });
    await pool.RunOperation("CREATE TABLE IF NOT EXISTS sample_agents (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) UNIQUE, status VARCHAR(20))");
    await pool.RunOperation("DELETE FROM sample_agents");

    await pool.RunOperation("INSERT INTO sample_agents (name, status) VALUES (%s, %s)", "smith", "idle");
    await pool.RunOperation("INSERT INTO sample_agents (name, status) VALUES (%s, %s)", "jones", "idle");
    var updated = await pool.RunOperation("UPDATE sample_agents SET status = %s WHERE name = %s", "busy", "smith");
    Console.WriteLine($"updated {updated} agent(s)");

    foreach (var agent in await pool.RunQuery<Agent>("SELECT id, name, status FROM sample_agents ORDER BY name"))
    {
        Console.WriteLine($"agent: {agent.Name} is {agent.Status}");
    }
    await pool.Close();
    return 0;
});

internal sealed record Agent(int Id, string Name, string Status);
