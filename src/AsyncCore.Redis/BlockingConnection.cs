using StackExchange.Redis;

namespace AsyncCore.Redis;

/// <summary>
/// A connection of its own for blocking pops (BLPOP, BRPOP, BLMOVE), which would hold up every other command on the
/// multiplexer's shared connection. <see cref="ClientId"/> is the server's id for it, for CLIENT UNBLOCK.
/// </summary>
internal sealed class BlockingConnection(ConnectionMultiplexer multiplexer, long clientId)
{
    public ConnectionMultiplexer Multiplexer { get; } = multiplexer;

    public IDatabase Database { get; } = multiplexer.GetDatabase();

    public long ClientId { get; } = clientId;

    /// <summary>The options for such a connection: a blocking command may wait longer than any client-side timeout.</summary>
    public static ConfigurationOptions Options(ConfigurationOptions client)
    {
        var options = client.Clone();
        options.AsyncTimeout = int.MaxValue;
        options.SyncTimeout = int.MaxValue;
        options.ClientName = (client.ClientName ?? "asynccore") + "-blocking";
        // CLIENT ID and CLIENT UNBLOCK are admin commands for the multiplexer.
        options.AllowAdmin = true;
        return options;
    }

    /// <summary>Closes the connection, off the reactor thread (the multiplexer waits for its threads).</summary>
    public void Dispose() => _ = Task.Run(async () => await Multiplexer.DisposeAsync().ConfigureAwait(false));
}
