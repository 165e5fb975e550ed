using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using AsyncCore.Protocols;
using AsyncCore.Reactor;

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
/// it. Writes are copied into the write buffer and sent by one send loop; a registered streaming producer is paused once
/// the buffer holds more than <see cref="StreamTransport.HighWaterMark"/> bytes and resumed when it falls to
/// <see cref="StreamTransport.LowWaterMark"/>. The connection state and the close logic are <see cref="StreamTransport"/>'s.</para>
/// </remarks>
internal sealed class TcpTransport : StreamTransport
{
    private const int ReadBufferSize = 64 * 1024;

    // After this many operations completing synchronously in a row, a loop yields to the reactor queue so that one busy
    // connection cannot starve the others (Twisted reads once per readiness event for the same reason).
    private const int FairnessStreak = 16;

    private readonly ReactorBase _reactor;
    private byte[]? _readBuffer;
    // The buffer being sent while Write appends to WriteBuffer; the two are swapped for each send.
    private ArrayBufferWriter<byte> _sendingBuffer = new(4096);
    private bool _reading;
    private bool _sending;
    private bool _resumeScheduled;

    internal TcpTransport(ReactorBase reactor, Socket socket, SslStream? tls, NetworkRegistry registry)
        : base(socket, tls, registry, reactor.Logger)
    {
        _reactor = reactor;
        if (tls is null)
        {
            // Completions go straight from the engine thread to the reactor queue (SocketCompletions says why). Not under TLS:
            // SslStream awaits the socket without the reactor's context, so its decryption would run on the engine thread.
            SocketCompletions.PreferInline(socket);
        }
    }

    /// <summary>The bytes written and not yet handed to the socket (or in flight).</summary>
    public override long BufferedBytes => WriteBuffer.WrittenCount + (_sending ? _sendingBuffer.WrittenCount : 0);

    // A socket already shut down or reset is not shut down again.
    protected override bool ShutdownOnClose => Socket.Connected;

    protected override void AfterConnectionMade()
    {
        if (!Closed && !Disconnecting)
        {
            StartReading();
        }
    }

    protected override void Post(Action<object?> callback, object? state) => _reactor.CallFromThread(callback, state);

    // ---- Reading ---------------------------------------------------------------------------------------------------

    protected override void ReadingChanged() => StartReading();

    private void StartReading()
    {
        if (_reading || ReadPaused || ReadClosed || Closed || DisconnectingStopsReading)
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
            while (!ReadPaused && !Closed && !DisconnectingStopsReading)
            {
                if (streak == FairnessStreak)
                {
                    // Data keeps arriving synchronously: let the other connections and timers run before reading more.
                    streak = 0;
                    await Task.Yield();
                    if (ReadPaused || Closed || DisconnectingStopsReading)
                    {
                        return;
                    }
                }
                int count;
                try
                {
                    var read = ConnectionTls is { } tls ? tls.ReadAsync(_readBuffer.AsMemory()) : Socket.ReceiveAsync(_readBuffer.AsMemory(), SocketFlags.None);
                    streak = read.IsCompleted ? streak + 1 : 0;
                    count = await read;
                }
                catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or AuthenticationException)
                {
                    if (!Closed)
                    {
                        CloseLost(e);
                    }
                    return;
                }
                if (Closed)
                {
                    return;
                }
                if (!Deliver(_readBuffer.AsSpan(0, count)))
                {
                    return;
                }
            }
        }
        finally
        {
            _reading = false;
            if (Closed && _readBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_readBuffer);
                _readBuffer = null;
            }
        }
    }

    // ---- Writing ---------------------------------------------------------------------------------------------------

    protected override void StartSending()
    {
        Flow.PauseIfAbove(BufferedBytes);
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
            while (WriteBuffer.WrittenCount > 0 && !Closed)
            {
                if (streak == FairnessStreak)
                {
                    streak = 0;
                    await Task.Yield();
                    if (Closed)
                    {
                        return;
                    }
                }
                var sending = WriteBuffer;
                WriteBuffer = _sendingBuffer;
                _sendingBuffer = sending;
                var pending = sending.WrittenMemory;
                try
                {
                    if (ConnectionTls is { } tls)
                    {
                        var write = tls.WriteAsync(pending);
                        streak = write.IsCompleted ? streak + 1 : 0;
                        await write;
                    }
                    else
                    {
                        while (!pending.IsEmpty)
                        {
                            var send = Socket.SendAsync(pending, SocketFlags.None);
                            streak = send.IsCompleted ? streak + 1 : 0;
                            pending = pending[await send..];
                        }
                    }
                }
                catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
                {
                    if (!Closed)
                    {
                        CloseLost(e);
                    }
                    return;
                }
                ResetSendingBuffer();
                if (Closed)
                {
                    return;
                }
                // A send finished: resume a push producer paused for backpressure once the buffer is low enough.
                Flow.ResumeIfBelow(WriteBuffer.WrittenCount);
            }
        }
        finally
        {
            _sending = false;
        }
        if (!Closed && WriteBuffer.WrittenCount == 0)
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
        if (Flow.IsWaiting)
        {
            // A pull producer (or a paused push producer) is asked for more; a close waits until it unregisters. The request
            // goes through the reactor queue: asking inline would recurse (write, send completes at once, ask again...).
            if (Flow.HasPullProducer && (Disconnecting || WriteShutdownRequested))
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
        FinishRequestedClose();
    }

    private void ResumeProducer()
    {
        _resumeScheduled = false;
        if (Closed || _sending || WriteBuffer.WrittenCount > 0)
        {
            return;
        }
        Flow.AskForMore();
    }

    protected override void ShutdownSocketWrite() => _ = ShutdownSocketWriteAsync();

    private async Task ShutdownSocketWriteAsync()
    {
        try
        {
            if (ConnectionTls is { } tls)
            {
                await tls.ShutdownAsync();
            }
            Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            CloseLost(e);
            return;
        }
        WriteSideClosed();
    }

    // ---- Closing ---------------------------------------------------------------------------------------------------

    private bool SendIdle => !_sending && WriteBuffer.WrittenCount == 0;

    protected override void ProducerUnregisteredWhileClosing()
    {
        if (SendIdle)
        {
            BufferEmpty();
        }
    }

    protected override void CloseWhenSent()
    {
        if (SendIdle && !Flow.IsWaiting)
        {
            // Never re-entrantly: ConnectionLost runs on a later pass, as in Twisted.
            Post(static state => ((TcpTransport)state!).CloseNow(new Failure(new ConnectionDoneException())), this);
        }
    }

    protected override void ShutdownWriteWhenSent()
    {
        if (SendIdle)
        {
            ShutdownWrite();
        }
    }

    protected override void DiscardWriteBuffer() => WriteBuffer.ResetWrittenCount();

    protected override void AfterConnectionLost()
    {
        if (!_reading && _readBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_readBuffer);
            _readBuffer = null;
        }
    }
}
