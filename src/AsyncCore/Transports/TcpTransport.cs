using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Transports;

/// <summary>
/// The transport of a connected stream socket: TCP (IPv4 or IPv6), UNIX, or TLS over TCP (Twisted's <c>tcp.Connection</c>).
/// </summary>
/// <remarks>
/// <para>I/O runs on the runtime's socket engine. Every operation is started on the reactor thread and awaited there; a
/// completion that does not happen synchronously is posted back through the reactor's <see cref="SynchronizationContext"/>
/// (its thread-call queue, drained in batches each pass), so protocol callbacks only ever run on the reactor thread and
/// nothing blocks it. See docs/networking.md for the design and the measurements behind it.</para>
/// <para>Reads go into a pooled 64 KiB buffer owned by the connection; <see cref="IProtocol.DataReceived"/> gets a span of
/// it. Writes are copied into a write buffer and sent by one send loop; a registered streaming producer is paused once
/// the buffer holds more than <see cref="HighWaterMark"/> bytes and resumed when it falls to <see cref="LowWaterMark"/>.</para>
/// </remarks>
internal sealed class TcpTransport : ISocketTransport, IWriteBuffered, IStreamConnection, IAbortWithReason
{
    private const int ReadBufferSize = 64 * 1024;

    // After this many operations completing synchronously in a row, a loop yields to the reactor queue so that one busy
    // connection cannot starve the others (Twisted reads once per readiness event for the same reason).
    private const int FairnessStreak = 16;

    private readonly ReactorBase _reactor;
    private readonly Socket _socket;
    private readonly SslStream? _tls;
    private readonly NetworkRegistry _registry;
    private readonly EndPoint? _host;
    private readonly EndPoint? _peer;
    // The registered producer and the water marks; the sending strategy stays here.
    private readonly ProducerFlow _flow = new();
    private IProtocol _protocol = null!;
    private byte[]? _readBuffer;
    private ArrayBufferWriter<byte> _writeBuffer = new(4096);
    private ArrayBufferWriter<byte> _sendingBuffer = new(4096);
    private bool _reading;
    private bool _readPaused;
    private bool _sending;
    private bool _resumeScheduled;
    private bool _writeShutdownRequested;
    private bool _writeShutDown;
    private bool _readClosed;
    private bool _closed;
    private bool _lossReported;

    internal TcpTransport(ReactorBase reactor, Socket socket, SslStream? tls, NetworkRegistry registry)
    {
        _reactor = reactor;
        _socket = socket;
        _tls = tls;
        _registry = registry;
        _host = SafeEndPoint(() => socket.LocalEndPoint);
        _peer = SafeEndPoint(() => socket.RemoteEndPoint);
    }

    /// <summary>The buffered bytes above which a streaming producer is paused (64 KiB, as Twisted's <c>bufferSize</c>).</summary>
    public int HighWaterMark { get => _flow.HighWaterMark; set => _flow.HighWaterMark = value; }

    /// <summary>The buffered bytes at or below which a paused producer is resumed (0: once everything is sent).</summary>
    public int LowWaterMark { get => _flow.LowWaterMark; set => _flow.LowWaterMark = value; }

    /// <summary>The bytes written and not yet handed to the socket (or in flight).</summary>
    public long BufferedBytes => _writeBuffer.WrittenCount + (_sending ? _sendingBuffer.WrittenCount : 0);

    /// <summary>The protocol on this connection.</summary>
    public IProtocol Protocol => _protocol;

    /// <inheritdoc />
    public Socket Socket => _socket;

    /// <inheritdoc />
    public SslStream? TlsStream => _tls;

    /// <inheritdoc />
    public bool Disconnecting { get; private set; }

    /// <summary>Called once the connection is lost, after the protocol (the connector uses it).</summary>
    Action<Failure>? IStreamConnection.OnLost { get => OnLost; set => OnLost = value; }

    internal Action<Failure>? OnLost { get; set; }

    /// <inheritdoc />
    public EndPoint? GetPeer() => _peer;

    /// <inheritdoc />
    public EndPoint? GetHost() => _host;

    /// <summary>Attaches the protocol, tells it the connection is made and starts reading.</summary>
    void IStreamConnection.Start(IProtocol protocol) => Start(protocol);

    internal void Start(IProtocol protocol)
    {
        _protocol = protocol;
        _registry.Connections.Add(this);
        try
        {
            protocol.MakeConnection(this);
        }
        catch (Exception e)
        {
            _reactor.Logger.LogError(e, "ConnectionMade of {Protocol} failed; closing the connection", protocol.GetType().Name);
            CloseNow(new Failure(new ConnectionLostException("ConnectionMade failed.", e)));
            return;
        }
        if (!_closed && !Disconnecting)
        {
            StartReading();
        }
    }

    // ---- Reading ---------------------------------------------------------------------------------------------------

    private void StartReading()
    {
        if (_reading || _readPaused || _readClosed || _closed || Disconnecting)
        {
            return;
        }
        _reading = true;
        _readBuffer ??= ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        _ = ReadLoop();
    }

    private async Task ReadLoop()
    {
        // Runs on the reactor thread: each await resumes through the reactor's synchronization context.
        try
        {
            var streak = 0;
            while (!_readPaused && !_closed && !Disconnecting)
            {
                if (streak == FairnessStreak)
                {
                    // Data keeps arriving synchronously: let the other connections and timers run before reading more.
                    streak = 0;
                    await Task.Yield();
                    if (_readPaused || _closed || Disconnecting)
                    {
                        return;
                    }
                }
                int count;
                try
                {
                    var read = _tls is null ? _socket.ReceiveAsync(_readBuffer.AsMemory(), SocketFlags.None) : _tls.ReadAsync(_readBuffer.AsMemory());
                    streak = read.IsCompleted ? streak + 1 : 0;
                    count = await read;
                }
                catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or AuthenticationException)
                {
                    if (!_closed)
                    {
                        CloseNow(new Failure(new ConnectionLostException(e.Message, e)));
                    }
                    return;
                }
                if (_closed)
                {
                    return;
                }
                if (count == 0)
                {
                    ReadEnded();
                    return;
                }
                try
                {
                    _protocol.DataReceived(_readBuffer.AsSpan(0, count));
                }
                catch (Exception e)
                {
                    // Twisted: an exception from dataReceived drops the connection and is logged.
                    _reactor.Logger.LogError(e, "DataReceived of {Protocol} failed; closing the connection", _protocol.GetType().Name);
                    CloseNow(new Failure(e));
                    return;
                }
            }
        }
        finally
        {
            _reading = false;
            if (_closed && _readBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_readBuffer);
                _readBuffer = null;
            }
        }
    }

    private void ReadEnded()
    {
        _readClosed = true;
        HalfClose.ReadEnded(this, _protocol, _writeShutDown, _reactor.Logger);
    }

    /// <summary>Stops reading from the peer (the transport as a push producer of incoming data).</summary>
    public void PauseProducing() => _readPaused = true;

    /// <summary>Resumes reading from the peer.</summary>
    public void ResumeProducing()
    {
        _readPaused = false;
        StartReading();
    }

    /// <summary>Stops reading for good and closes the connection.</summary>
    public void StopProducing() => LoseConnection();

    // ---- Writing ---------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || Disconnecting || _closed || _writeShutdownRequested)
        {
            // Twisted ignores writes after loseConnection or on a closed connection.
            return;
        }
        _writeBuffer.Append(data);
        AfterWrite();
    }

    /// <inheritdoc />
    public void WriteSequence(IEnumerable<ReadOnlyMemory<byte>> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (Disconnecting || _closed || _writeShutdownRequested)
        {
            return;
        }
        _writeBuffer.Append(data);
        AfterWrite();
    }

    private void AfterWrite()
    {
        _flow.PauseIfAbove(BufferedBytes);
        if (!_sending)
        {
            _ = SendLoop();
        }
    }

    private async Task SendLoop()
    {
        _sending = true;
        try
        {
            var streak = 0;
            while (_writeBuffer.WrittenCount > 0 && !_closed)
            {
                if (streak == FairnessStreak)
                {
                    streak = 0;
                    await Task.Yield();
                    if (_closed)
                    {
                        return;
                    }
                }
                (_writeBuffer, _sendingBuffer) = (_sendingBuffer, _writeBuffer);
                var pending = _sendingBuffer.WrittenMemory;
                try
                {
                    if (_tls is null)
                    {
                        while (!pending.IsEmpty)
                        {
                            var send = _socket.SendAsync(pending, SocketFlags.None);
                            streak = send.IsCompleted ? streak + 1 : 0;
                            pending = pending[await send..];
                        }
                    }
                    else
                    {
                        var write = _tls.WriteAsync(pending);
                        streak = write.IsCompleted ? streak + 1 : 0;
                        await write;
                    }
                }
                catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
                {
                    if (!_closed)
                    {
                        CloseNow(new Failure(new ConnectionLostException(e.Message, e)));
                    }
                    return;
                }
                ResetSendingBuffer();
                if (_closed)
                {
                    return;
                }
                // A send finished: resume a push producer paused for backpressure once the buffer is low enough.
                _flow.ResumeIfBelow(_writeBuffer.WrittenCount);
            }
        }
        finally
        {
            _sending = false;
        }
        if (!_closed && _writeBuffer.WrittenCount == 0)
        {
            BufferEmpty();
        }
    }

    private void ResetSendingBuffer()
    {
        // Do not keep a huge buffer after a burst.
        if (_sendingBuffer.Capacity > 1 << 20)
        {
            _sendingBuffer = new ArrayBufferWriter<byte>(4096);
        }
        else
        {
            _sendingBuffer.ResetWrittenCount();
        }
    }

    /// <summary>Everything is sent: ask the producer for more, or finish a requested close or half-close (Twisted's doWrite).</summary>
    private void BufferEmpty()
    {
        if (_flow.IsWaiting)
        {
            // A pull producer (or a paused push producer) is asked for more; a close waits until it unregisters. The request
            // goes through the reactor queue: asking inline would recurse (write, send completes at once, ask again...).
            if (_flow.HasPullProducer && (Disconnecting || _writeShutdownRequested))
            {
                return;
            }
            if (!_resumeScheduled)
            {
                _resumeScheduled = true;
                _reactor.CallFromThread(static state => ((TcpTransport)state!).ResumeProducer(), this);
            }
            return;
        }
        if (Disconnecting)
        {
            CloseNow(new Failure(new ConnectionDoneException()));
        }
        else if (_writeShutdownRequested && !_writeShutDown)
        {
            _ = ShutdownWrite();
        }
    }

    private void ResumeProducer()
    {
        _resumeScheduled = false;
        if (_closed || _sending || _writeBuffer.WrittenCount > 0)
        {
            return;
        }
        _flow.AskForMore();
    }

    private async Task ShutdownWrite()
    {
        _writeShutDown = true;
        try
        {
            if (_tls is not null)
            {
                await _tls.ShutdownAsync();
            }
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            CloseNow(new Failure(new ConnectionLostException(e.Message, e)));
            return;
        }
        if (_readClosed)
        {
            CloseNow(new Failure(new ConnectionDoneException()));
            return;
        }
        if (_protocol is IHalfCloseableProtocol halfCloseable)
        {
            halfCloseable.WriteConnectionLost();
        }
    }

    // ---- Producers -------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public void RegisterProducer(IProducer producer, bool streaming) => _flow.Register(producer, streaming, BufferedBytes, _closed);

    /// <inheritdoc />
    public void UnregisterProducer()
    {
        _flow.Unregister();
        if (!_sending && !_closed && _writeBuffer.WrittenCount == 0 && (Disconnecting || _writeShutdownRequested))
        {
            BufferEmpty();
        }
    }

    // ---- Closing ---------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public void LoseConnection()
    {
        if (Disconnecting || _closed)
        {
            return;
        }
        Disconnecting = true;
        _readPaused = true;
        if (!_sending && _writeBuffer.WrittenCount == 0 && !_flow.IsWaiting)
        {
            // Never re-entrantly: ConnectionLost runs on a later pass, as in Twisted.
            _reactor.CallFromThread(static state => ((TcpTransport)state!).CloseNow(new Failure(new ConnectionDoneException())), this);
        }
    }

    /// <inheritdoc />
    public void AbortConnection()
    {
        if (_closed || _lossReported)
        {
            return;
        }
        Disconnecting = true;
        _writeBuffer.ResetWrittenCount();
        CloseSocket(abortive: true);
        _reactor.CallFromThread(static state => ((TcpTransport)state!).CloseNow(new Failure(new ConnectionAbortedException())), this);
    }

    /// <inheritdoc />
    void IAbortWithReason.AbortConnection(Exception reason)
    {
        if (_closed || _lossReported)
        {
            return;
        }
        Disconnecting = true;
        _writeBuffer.ResetWrittenCount();
        // Orderly, as Twisted closes a connection whose dataReceived returned a reason (only an abort resets it).
        CloseSocket(abortive: false);
        var failure = new Failure(reason);
        _reactor.CallFromThread(() => CloseNow(failure));
    }

    /// <inheritdoc />
    public void LoseWriteConnection()
    {
        if (_writeShutdownRequested || _closed || Disconnecting)
        {
            return;
        }
        _writeShutdownRequested = true;
        if (!_sending && _writeBuffer.WrittenCount == 0)
        {
            _ = ShutdownWrite();
        }
    }

    /// <summary>Closes the socket and reports the loss once (from the reactor thread).</summary>
    void IStreamConnection.CloseNow(Failure reason) => CloseNow(reason);

    internal void CloseNow(Failure reason)
    {
        if (_lossReported)
        {
            return;
        }
        _lossReported = true;
        Disconnecting = true;
        CloseSocket(abortive: false);
        _registry.Connections.Remove(this);
        _flow.Stop(_reactor.Logger);
        try
        {
            _protocol.ConnectionLost(reason);
        }
        catch (Exception e)
        {
            _reactor.Logger.LogError(e, "ConnectionLost of {Protocol} failed", _protocol.GetType().Name);
        }
        OnLost?.Invoke(reason);
        if (!_reading && _readBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_readBuffer);
            _readBuffer = null;
        }
    }

    private void CloseSocket(bool abortive)
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        try
        {
            if (abortive)
            {
                _socket.LingerState = new LingerOption(true, 0);
            }
            else if (_socket.Connected)
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }
        catch (ObjectDisposedException)
        {
        }
        _tls?.Dispose();
        _socket.Dispose();
    }

    private static EndPoint? SafeEndPoint(Func<EndPoint?> get)
    {
        try
        {
            return get();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }
}
