using System.Net;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Protocols;

/// <summary>
/// Builds one protocol per connection (Twisted's <c>Factory</c>) and holds the state connections share. Starting and
/// stopping are reference-counted over the ports and connectors using the factory: <see cref="StartFactory"/> runs when the
/// first one starts, <see cref="StopFactory"/> when the last one stops.
/// </summary>
public class Factory
{
    private static readonly ILogger s_log = AsyncCoreLogging.CreateLogger("AsyncCore.Protocols.Factory");

    /// <summary>Creates a factory whose <see cref="BuildProtocol"/> must be overridden or <see cref="ProtocolFactory"/> set.</summary>
    public Factory()
    {
    }

    /// <summary>Creates a factory that builds protocols with <paramref name="protocolFactory"/>.</summary>
    public Factory(Func<IProtocol> protocolFactory)
    {
        ProtocolFactory = protocolFactory ?? throw new ArgumentNullException(nameof(protocolFactory));
    }

    /// <summary>Makes a new protocol (Twisted's <c>factory.protocol</c>).</summary>
    public Func<IProtocol>? ProtocolFactory { get; set; }

    /// <summary>How many ports or connectors currently use the factory.</summary>
    public int NumPorts { get; private set; }

    /// <summary>Whether starting and stopping are logged (at Information level).</summary>
    public bool Noisy { get; set; } = true;

    /// <summary>Creates a factory for <paramref name="protocolFactory"/> (Twisted's <c>Factory.forProtocol</c>).</summary>
    public static Factory ForProtocol(Func<IProtocol> protocolFactory) => new(protocolFactory);

    /// <summary>
    /// Builds the protocol for a connection from <paramref name="address"/>; returning null refuses the connection. The
    /// default makes one with <see cref="ProtocolFactory"/> and sets its <see cref="Protocol.Factory"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No <see cref="ProtocolFactory"/> was set.</exception>
    public virtual IProtocol? BuildProtocol(EndPoint? address)
    {
        var make = ProtocolFactory ?? throw new InvalidOperationException($"{GetType().Name} has no ProtocolFactory and does not override BuildProtocol.");
        var protocol = make();
        if (protocol is Protocol p)
        {
            p.Factory = this;
        }
        return protocol;
    }

    /// <summary>Called by a port or connector when it starts using the factory.</summary>
    internal void DoStart()
    {
        if (NumPorts == 0)
        {
            if (Noisy && s_log.IsEnabled(LogLevel.Information))
            {
                s_log.LogInformation("Starting factory {Factory}", this);
            }
            StartFactory();
        }
        NumPorts++;
    }

    /// <summary>Called by a port or connector when it stops using the factory; extra calls are ignored.</summary>
    internal void DoStop()
    {
        if (NumPorts == 0)
        {
            return;
        }
        NumPorts--;
        if (NumPorts == 0)
        {
            if (Noisy && s_log.IsEnabled(LogLevel.Information))
            {
                s_log.LogInformation("Stopping factory {Factory}", this);
            }
            StopFactory();
        }
    }

    /// <summary>Runs when the first port or connector starts using the factory.</summary>
    protected virtual void StartFactory()
    {
    }

    /// <summary>Runs when the last port or connector stops using the factory.</summary>
    protected virtual void StopFactory()
    {
    }
}
