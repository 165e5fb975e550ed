using Microsoft.Extensions.Logging;

namespace AsyncCore.Protocols;

/// <summary>
/// Limits the number of connections and the bandwidth of a wrapped factory (Twisted's <c>policies.ThrottlingFactory</c>).
/// Connections beyond <see cref="MaxConnectionCount"/> are refused. Bandwidth is checked once a second: when more than the
/// limit was read (or written) in that second, reads (or the registered producers) are paused for
/// <c>bytes / limit - 1</c> seconds.
/// </summary>
public class ThrottlingFactory : WrappingFactory
{
    private static readonly ILogger s_log = AsyncCoreLogging.CreateLogger("AsyncCore.Protocols.ThrottlingFactory");
    private readonly IReactorTime _clock;
    private long _readThisSecond;
    private long _writtenThisSecond;
    private IDelayedCall? _checkRead;
    private IDelayedCall? _checkWrite;
    private IDelayedCall? _unthrottleRead;
    private IDelayedCall? _unthrottleWrite;

    /// <summary>Throttles <paramref name="wrappedFactory"/>.</summary>
    /// <param name="wrappedFactory">The factory to protect.</param>
    /// <param name="clock">The reactor's clock, for the per-second checks.</param>
    /// <param name="maxConnectionCount">The most simultaneous connections.</param>
    /// <param name="readLimit">Bytes per second read over all connections, or null for no limit.</param>
    /// <param name="writeLimit">Bytes per second written over all connections, or null for no limit.</param>
    public ThrottlingFactory(Factory wrappedFactory, IReactorTime clock, int maxConnectionCount = int.MaxValue, long? readLimit = null, long? writeLimit = null)
        : base(wrappedFactory)
    {
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        MaxConnectionCount = maxConnectionCount;
        ReadLimit = readLimit;
        WriteLimit = writeLimit;
    }

    /// <summary>The most simultaneous connections.</summary>
    public int MaxConnectionCount { get; }

    /// <summary>The read limit in bytes per second, or null.</summary>
    public long? ReadLimit { get; }

    /// <summary>The write limit in bytes per second, or null.</summary>
    public long? WriteLimit { get; }

    /// <summary>The live connections.</summary>
    public int ConnectionCount { get; private set; }

    /// <inheritdoc />
    public override IProtocol? BuildProtocol(System.Net.EndPoint? address)
    {
        if (ConnectionCount == 0)
        {
            if (ReadLimit is not null)
            {
                CheckReadBandwidth();
            }
            if (WriteLimit is not null)
            {
                CheckWriteBandwidth();
            }
        }
        if (ConnectionCount < MaxConnectionCount)
        {
            return base.BuildProtocol(address);
        }
        s_log.LogInformation("Max connection count reached!");
        return null;
    }

    /// <inheritdoc />
    protected override ProtocolWrapper WrapProtocol(IProtocol inner) => new ThrottlingProtocol(this, inner);

    /// <inheritdoc />
    public override void RegisterProtocol(ProtocolWrapper protocol)
    {
        ConnectionCount++;
        base.RegisterProtocol(protocol);
    }

    /// <inheritdoc />
    public override void UnregisterProtocol(ProtocolWrapper protocol)
    {
        base.UnregisterProtocol(protocol);
        ConnectionCount--;
        if (ConnectionCount == 0)
        {
            foreach (var call in new[] { _checkRead, _checkWrite, _unthrottleRead, _unthrottleWrite })
            {
                if (call is { Active: true })
                {
                    call.Cancel();
                }
            }
            _checkRead = _checkWrite = _unthrottleRead = _unthrottleWrite = null;
        }
    }

    internal void RegisterRead(int length) => _readThisSecond += length;

    internal void RegisterWritten(int length) => _writtenThisSecond += length;

    private void CheckReadBandwidth()
    {
        if (_readThisSecond > ReadLimit)
        {
            ForEach(p => p.ThrottleReads());
            var pause = ((double)_readThisSecond / ReadLimit.Value) - 1.0;
            _unthrottleRead = _clock.CallLater(TimeSpan.FromSeconds(pause), () => ForEach(p => p.UnthrottleReads()));
        }
        _readThisSecond = 0;
        _checkRead = _clock.CallLater(TimeSpan.FromSeconds(1), CheckReadBandwidth);
    }

    private void CheckWriteBandwidth()
    {
        if (_writtenThisSecond > WriteLimit)
        {
            ForEach(p => p.ThrottleWrites());
            var pause = ((double)_writtenThisSecond / WriteLimit.Value) - 1.0;
            _unthrottleWrite = _clock.CallLater(TimeSpan.FromSeconds(pause), () => ForEach(p => p.UnthrottleWrites()));
        }
        _writtenThisSecond = 0;
        _checkWrite = _clock.CallLater(TimeSpan.FromSeconds(1), CheckWriteBandwidth);
    }

    private void ForEach(Action<ThrottlingProtocol> action)
    {
        foreach (var protocol in Protocols.ToArray())
        {
            action((ThrottlingProtocol)protocol);
        }
    }

    private sealed class ThrottlingProtocol(ThrottlingFactory factory, IProtocol inner) : ProtocolWrapper(factory, inner)
    {
        private IPushProducer? _producer;

        public override void Write(ReadOnlySpan<byte> data)
        {
            factory.RegisterWritten(data.Length);
            base.Write(data);
        }

        public override void WriteSequence(IEnumerable<ReadOnlyMemory<byte>> data)
        {
            var chunks = data.ToArray();
            factory.RegisterWritten(chunks.Sum(c => c.Length));
            base.WriteSequence(chunks);
        }

        public override void DataReceived(ReadOnlySpan<byte> data)
        {
            factory.RegisterRead(data.Length);
            base.DataReceived(data);
        }

        public override void RegisterProducer(IProducer producer, bool streaming)
        {
            _producer = producer as IPushProducer;
            base.RegisterProducer(producer, streaming);
        }

        public override void UnregisterProducer()
        {
            _producer = null;
            base.UnregisterProducer();
        }

        public void ThrottleReads() => Transport.PauseProducing();

        public void UnthrottleReads() => Transport.ResumeProducing();

        public void ThrottleWrites() => _producer?.PauseProducing();

        public void UnthrottleWrites() => _producer?.ResumeProducing();
    }
}
