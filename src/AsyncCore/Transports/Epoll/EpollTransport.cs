using System.Buffers;
using System.Net.Sockets;
using System.Runtime.Versioning;
using AsyncCore.Protocols;

namespace AsyncCore.Transports.Epoll;

/// <summary>
/// A plain TCP or UNIX connection served by readiness on the epoll reactor (Twisted's <c>tcp.Connection</c> on the
/// epoll reactor): level-triggered epoll, one read per readiness event into the reactor's shared buffer, writes
/// buffered during a callback and flushed once before the reactor waits again (so a burst of small writes becomes one
/// send), <c>EPOLLOUT</c> only while the kernel buffer is full. The connection state and the close logic are
/// <see cref="StreamTransport"/>'s; TLS connections use the completion-based transport, which needs a stream.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class EpollTransport : StreamTransport, IEpollHandler
{
    // Reads per readiness event while the buffer comes back full: enough for bulk transfers, small enough to stay fair.
    private const int ReadsPerEvent = 4;

    private readonly IEpollLoop _reactor;
    private int _sentOffset;
    private int _token = -1;
    private uint _interest;
    private bool _dirty;

    internal EpollTransport(IEpollLoop reactor, Socket socket, NetworkRegistry registry)
        : base(socket, tls: null, registry, reactor.Logger)
    {
        _reactor = reactor;
    }

    public override long BufferedBytes => WriteBuffer.WrittenCount - _sentOffset;

    protected override void BeforeConnectionMade()
    {
        Socket.Blocking = false;
        _interest = EpollNative.EpollIn | EpollNative.EpollRdHup;
        _token = _reactor.Register(Socket, this, _interest);
    }

    protected override void Post(Action<object?> callback, object? state) => _reactor.CallFromThread(callback, state);

    // ---- Readiness -------------------------------------------------------------------------------------------------

    public void OnEvents(uint events)
    {
        if (Closed)
        {
            return;
        }
        if ((events & (EpollNative.EpollIn | EpollNative.EpollRdHup | EpollNative.EpollHup | EpollNative.EpollErr)) != 0 && Reading)
        {
            DoRead();
        }
        if ((events & EpollNative.EpollOut) != 0 && !Closed)
        {
            Flush();
        }
        else if ((events & (EpollNative.EpollHup | EpollNative.EpollErr)) != 0 && !Closed && !Reading)
        {
            // Not reading, so the error surfaces here: probe it with a zero-byte send.
            Socket.Send(ReadOnlySpan<byte>.Empty, SocketFlags.None, out var error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                CloseNow(new Failure(new ConnectionLostException(new SocketException((int)error).Message)));
            }
        }
    }

    private bool Reading => !ReadPaused && !ReadClosed && !DisconnectingStopsReading;

    private void DoRead()
    {
        var buffer = _reactor.ReadBuffer;
        for (var i = 0; i < ReadsPerEvent && Reading && !Closed; i++)
        {
            var count = Socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return;
            }
            if (error != SocketError.Success)
            {
                CloseLost(new SocketException((int)error));
                return;
            }
            if (!Deliver(buffer.AsSpan(0, count)))
            {
                return;
            }
            if (count < buffer.Length)
            {
                return;
            }
        }
    }

    // Only re-arms interest on a resume: reading now would reuse the shared buffer under a DataReceived still running.
    protected override void ReadingChanged() => UpdateInterest();

    private void UpdateInterest()
    {
        if (Closed)
        {
            return;
        }
        var wanted = (Reading ? EpollNative.EpollIn | EpollNative.EpollRdHup : 0u) | (BufferedBytes > 0 ? EpollNative.EpollOut : 0u);
        if (wanted != _interest)
        {
            _interest = wanted;
            _reactor.Modify(Socket, _token, wanted);
        }
    }

    // ---- Writing ---------------------------------------------------------------------------------------------------

    protected override void StartSending()
    {
        Flow.PauseIfAbove(BufferedBytes);
        MarkDirty();
    }

    private void MarkDirty()
    {
        if (!_dirty && !Closed)
        {
            _dirty = true;
            _reactor.MarkDirty(this);
        }
    }

    /// <summary>Sends what the kernel takes; called before the reactor waits and when the socket is writable.</summary>
    internal void Flush()
    {
        _dirty = false;
        if (Closed)
        {
            return;
        }
        while (BufferedBytes > 0)
        {
            var sent = Socket.Send(WriteBuffer.WrittenSpan[_sentOffset..], SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                break;
            }
            if (error != SocketError.Success)
            {
                CloseLost(new SocketException((int)error));
                return;
            }
            _sentOffset += sent;
        }
        if (BufferedBytes == 0)
        {
            ResetWriteBuffer();
        }
        else if (_sentOffset > 1 << 20)
        {
            // Keep only the unsent tail, so a connection that never fully drains does not keep what it sent.
            var rest = new ArrayBufferWriter<byte>(Math.Max(4096, (int)BufferedBytes));
            rest.Write(WriteBuffer.WrittenSpan[_sentOffset..]);
            WriteBuffer = rest;
            _sentOffset = 0;
        }
        UpdateInterest();
        Flow.ResumeIfBelow(BufferedBytes);
        if (BufferedBytes == 0 && !_dirty)
        {
            BufferEmpty();
        }
    }

    private void ResetWriteBuffer()
    {
        if (WriteBuffer.Capacity > 1 << 20)
        {
            WriteBuffer = new ArrayBufferWriter<byte>(4096);
        }
        else
        {
            WriteBuffer.ResetWrittenCount();
        }
        _sentOffset = 0;
    }

    private void BufferEmpty()
    {
        if (Flow.HasPullProducer)
        {
            // A pull producer is asked for more; a requested close waits until it unregisters.
            if (!Disconnecting && !WriteShutdownRequested)
            {
                Flow.AskForMore();
            }
            return;
        }
        FinishRequestedClose();
    }

    protected override void ShutdownSocketWrite()
    {
        try
        {
            Socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException e)
        {
            CloseLost(e);
            return;
        }
        WriteSideClosed();
    }

    // ---- Closing ---------------------------------------------------------------------------------------------------

    // The close or half-close happens in the next flush (never re-entrantly), once the buffer is empty and any pull
    // producer gone.
    protected override void CloseWhenSent()
    {
        UpdateInterest();
        MarkDirty();
    }

    protected override void ShutdownWriteWhenSent() => MarkDirty();

    protected override void ProducerUnregisteredWhileClosing()
    {
        if (BufferedBytes == 0)
        {
            MarkDirty();
        }
    }

    protected override void DiscardWriteBuffer() => ResetWriteBuffer();

    protected override void SocketClosing()
    {
        if (_token >= 0)
        {
            _reactor.Unregister(Socket, _token);
            _token = -1;
        }
    }
}
