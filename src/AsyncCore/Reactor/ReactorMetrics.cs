using System.Diagnostics.Metrics;

namespace AsyncCore.Reactor;

/// <summary>
/// The reactor's instruments, on the meter <c>AsyncCore.Reactor</c>, each tagged with the reactor's name:
/// <list type="bullet">
/// <item><c>asynccore.reactor.lag</c> (histogram, s): how late each timer ran after its due time.</item>
/// <item><c>asynccore.reactor.stalls</c> (counter): callbacks that held the thread longer than the stall threshold.</item>
/// <item><c>asynccore.reactor.stall.duration</c> (histogram, s): how long those callbacks ran.</item>
/// <item><c>asynccore.reactor.queue.depth</c> (gauge): thread calls waiting to run.</item>
/// <item><c>asynccore.reactor.timers</c> (gauge): pending delayed calls.</item>
/// </list>
/// </summary>
internal sealed class ReactorMetrics : IDisposable
{
    public const string MeterName = "AsyncCore.Reactor";

    private readonly Meter _meter;
    private readonly KeyValuePair<string, object?> _tag;

    public ReactorMetrics(ReactorBase reactor)
    {
        _meter = new Meter(MeterName);
        _tag = new KeyValuePair<string, object?>("reactor", reactor.Name);
        Lag = _meter.CreateHistogram<double>("asynccore.reactor.lag", "s", "How late timers ran after their due time.");
        Stalls = _meter.CreateCounter<long>("asynccore.reactor.stalls", null, "Callbacks that held the reactor thread longer than the stall threshold.");
        StallDuration = _meter.CreateHistogram<double>("asynccore.reactor.stall.duration", "s", "How long stalling callbacks held the reactor thread.");
        _meter.CreateObservableGauge("asynccore.reactor.queue.depth", () => new Measurement<int>(reactor.PendingThreadCalls, _tag), null, "Thread calls waiting for the reactor.");
        _meter.CreateObservableGauge("asynccore.reactor.timers", () => new Measurement<int>(reactor.PendingTimerCount, _tag), null, "Pending delayed calls.");
    }

    public Histogram<double> Lag { get; }

    public Counter<long> Stalls { get; }

    public Histogram<double> StallDuration { get; }

    public KeyValuePair<string, object?> Tag => _tag;

    public void Dispose() => _meter.Dispose();
}
