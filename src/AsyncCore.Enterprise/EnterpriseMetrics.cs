using System.Diagnostics.Metrics;

namespace AsyncCore.Enterprise;

/// <summary>The pool's metrics, on the meter <c>AsyncCore.Enterprise</c>.</summary>
internal static class EnterpriseMetrics
{
    private static readonly Meter s_meter = new("AsyncCore.Enterprise");

    /// <summary>Calls submitted to a pool.</summary>
    public static readonly Counter<long> Calls = s_meter.CreateCounter<long>("asynccore.db.pool.calls", description: "Calls submitted to connection pools");

    /// <summary>Connections opened.</summary>
    public static readonly Counter<long> ConnectionsOpened = s_meter.CreateCounter<long>("asynccore.db.pool.connections_opened", description: "Connections opened by connection pools");

    /// <summary>Connections found lost (reconnect on).</summary>
    public static readonly Counter<long> ConnectionsLost = s_meter.CreateCounter<long>("asynccore.db.pool.connections_lost", description: "Connections found lost and discarded");
}
