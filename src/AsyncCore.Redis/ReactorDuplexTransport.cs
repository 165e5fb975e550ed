using System.Buffers;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using RESPite.Transports;

namespace AsyncCore.Redis;

/// <summary>
/// A multiplexer connection carried by a reactor TCP connection (<see cref="ReactorTunnel"/>): the bytes Redis sends are
/// pushed into StackExchange.Redis on the reactor thread, so it parses the replies and completes their tasks there, and
/// a reply needs no hand-over from another thread. Bytes the multiplexer writes are staged here (from any thread, one
/// writer at a time) and written to the reactor's transport when it flushes: at once on the reactor thread, through
/// one <see cref="IReactorThreads.CallFromThread"/> per burst from any other.
/// </summary>
#pragma warning disable SER009 // StackExchange.Redis's push transport: see ReactorTunnel.
internal sealed class ReactorDuplexTransport : DuplexTransport
{
    // A buffer that grew past this for one large write (a big value) is dropped once written, not kept for the life of
    // the connection.
    private const int KeptCapacity = 64 * 1024;
    private const int InitialCapacity = 4096;

    private readonly IReactorThreads _reactor;
    private readonly ReplyPump _pump;
    private readonly Lock _gate = new();
    private readonly Action _writeFlushed;

    // What the current writer has staged since its last flush: only that writer (one at a time) touches it.
    private ArrayBufferWriter<byte> _staged = new(InitialCapacity);
    // Flushed off the reactor thread and not yet written to the connection, in order. Guarded by _gate.
    private ArrayBufferWriter<byte> _flushed = new(InitialCapacity);
    private bool _writeScheduled;

    private ITransport? _connection;
    private TransportReceiver? _receiver;
    private Failure? _closedBeforeStart;
    private bool _closed;

    public ReactorDuplexTransport(ReplyPump pump)
    {
        _reactor = pump.Reactor;
        _pump = pump;
        _writeFlushed = WriteFlushed;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => _staged.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _staged.GetSpan(sizeHint);

    public override void Advance(int count) => _staged.Advance(count);

    public override bool Flush()
    {
        if (Volatile.Read(ref _closed))
        {
            Reset(ref _staged);
            return false;
        }
        if (_staged.WrittenCount == 0)
        {
            return true;
        }
        if (_reactor.IsReactorThread)
        {
            // Whatever other threads flushed before this goes first.
            WriteFlushed();
            _connection?.Write(_staged.WrittenSpan);
            Reset(ref _staged);
            return true;
        }
        bool schedule;
        lock (_gate)
        {
            _flushed.Write(_staged.WrittenSpan);
            schedule = !_writeScheduled;
            _writeScheduled = true;
        }
        Reset(ref _staged);
        if (schedule)
        {
            _reactor.CallFromThread(_writeFlushed);
        }
        return true;
    }

    public override void Start(TransportReceiver receiver)
    {
        Failure? closed;
        lock (_gate)
        {
            _receiver = receiver;
            closed = _closedBeforeStart;
        }
        if (closed is not null)
        {
            receiver.OnClosed(FaultOf(closed));
        }
    }

    public override ValueTask DisposeAsync()
    {
        // Refuses writes from now on; the connection itself is closed on the reactor thread.
        Volatile.Write(ref _closed, true);
        _reactor.CallFromThread(Drop);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Reactor thread: closes the connection and refuses writes from now on (disposed, or never taken: its attempt was
    /// cancelled meanwhile).
    /// </summary>
    internal void Drop()
    {
        Volatile.Write(ref _closed, true);
        _connection?.LoseConnection();
    }

    /// <summary>Reactor thread: the TCP connection is up.</summary>
    internal void Attach(ITransport connection) => _connection = connection;

    /// <summary>Reactor thread: bytes from Redis, parsed by the multiplexer here; the replies they complete are fired after.</summary>
    internal void Receive(ReadOnlySpan<byte> data)
    {
        var receiver = Volatile.Read(ref _receiver);
        if (receiver is null)
        {
            // Redis never speaks first: nothing can arrive before the multiplexer starts reading.
            _connection?.LoseConnection();
            return;
        }
        _pump.BeginReading();
        try
        {
            if (!receiver.OnReceived(data))
            {
                _connection?.LoseConnection();
            }
            receiver.OnBatchEnd();
        }
        finally
        {
            _pump.EndReading();
        }
    }

    /// <summary>Reactor thread: the connection is gone; the multiplexer hears it once.</summary>
    internal void Closed(Failure reason)
    {
        Volatile.Write(ref _closed, true);
        TransportReceiver? receiver;
        lock (_gate)
        {
            receiver = _receiver;
            if (receiver is null)
            {
                _closedBeforeStart = reason;
            }
        }
        receiver?.OnClosed(FaultOf(reason));
    }

    private static Exception? FaultOf(Failure reason) => reason.Value is ConnectionDoneException ? null : reason.Value;

    private void WriteFlushed()
    {
        lock (_gate)
        {
            _writeScheduled = false;
            if (_flushed.WrittenCount == 0)
            {
                return;
            }
            _connection?.Write(_flushed.WrittenSpan);
            Reset(ref _flushed);
        }
    }

    /// <summary>What the staging buffers hold on to between writes: for tests.</summary>
    internal int RetainedCapacity
    {
        get
        {
            lock (_gate)
            {
                return _staged.Capacity + _flushed.Capacity;
            }
        }
    }

    private static void Reset(ref ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity > KeptCapacity)
        {
            buffer = new ArrayBufferWriter<byte>(InitialCapacity);
        }
        else
        {
            buffer.ResetWrittenCount();
        }
    }

    /// <summary>The reactor side of the connection: hands what it reads and its end to the transport.</summary>
    internal sealed class Wire(ReactorDuplexTransport transport, Action<ReactorDuplexTransport> connected) : Protocol
    {
        public override void ConnectionMade()
        {
            transport.Attach(Transport);
            connected(transport);
        }

        public override void DataReceived(ReadOnlySpan<byte> data) => transport.Receive(data);

        public override void ConnectionLost(Failure reason) => transport.Closed(reason);
    }
}
#pragma warning restore SER009
