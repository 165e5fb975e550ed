using AsyncCore.Endpoints;

namespace AsyncCore.Application;

/// <summary>
/// Puts a <see cref="ClientService"/> (which lives with the endpoints, below the service layer) in a service tree:
/// starting the adapter starts the client, stopping it stops the client and waits until its connection is closed.
/// Made by <see cref="ServiceExtensions.AsService(ClientService, string?)"/>.
/// </summary>
public sealed class ClientServiceAdapter : Service
{
    /// <summary>Wraps <paramref name="client"/>.</summary>
    /// <param name="client">The client to keep connected while the service runs.</param>
    /// <param name="name">The service's name, or null.</param>
    public ClientServiceAdapter(ClientService client, string? name = null) : base(name)
        => Client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>The wrapped client: ask it for the connection with <see cref="ClientService.WhenConnected"/>.</summary>
    public ClientService Client { get; }

    /// <summary>Marks the service running and starts the client.</summary>
    public override void StartService()
    {
        base.StartService();
        Client.StartService();
    }

    /// <summary>Stops the client.</summary>
    /// <returns>A Deferred that fires once the client's connection is closed.</returns>
    public override Deferred<object?> StopService()
    {
        _ = base.StopService();
        return Client.StopService();
    }
}
