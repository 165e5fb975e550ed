using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Transports.Epoll;

/// <summary>
/// A plain TCP or UNIX connection served by readiness on the epoll reactor (Twisted's <c>tcp.Connection</c> on the
/// epoll reactor): level-triggered epoll, one read per readiness event into the reactor's shared buffer, writes
/// buffered during a callback and flushed once before the reactor waits again (so a burst of small writes becomes one
/// send), <c>EPOLLOUT</c> only while the kernel buffer is full.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class EpollTransport : ISocketTransport, IWriteBuffered, IEpollHandler, IStreamConnection, IAbortWithReason
{
    // Reads per readiness event while the buffer comes back full: enough for bulk transfers, small enough to stay fair.
    private const int ReadsPerEvent = 4;

    private readonly IEpollLoop _reactor;
    private readonly Socket _socket;
    private readonly NetworkRegistry _registry;
    private readonly EndPoint? _host;
    private readonly EndPoint? _peer;
    // The registered producer and the water marks; the sending strategy stays here.
    private readonly ProducerFlow _flow = new();
    private IProtocol _protocol = null!;
    private ArrayBufferWriter<byte> _writeBuffer = new(4096);
    private int _sentOffset;
    private int _token = -1;
    private uint _interest;
    private bool _readPaused;
    private bool _readClosed;
    private bool _writeShutdownRequested;
    private bool _writeShutDown;
    private bool _dirty;
    private bool _closed;
    private bool _lossReported;

    internal EpollTransport(IEpollLoop reactor, Socket socket, NetworkRegistry registry)
    {
        _reactor = reactor;
        _socket = socket;
        _registry = registry;
        _host = SafeEndPoint(() => socket.LocalEndPoint);
        _peer = SafeEndPoint(() => socket.RemoteEndPoint);
    }

    public int HighWaterMark { get => _flow.HighWaterMark; set => _flow.HighWaterMark = value; }

    public int LowWaterMark { get => _flow.LowWaterMark; set => _flow.LowWaterMark = value; }

    public long BufferedBytes => _writeBuffer.WrittenCount - _sentOffset;

    public bool Disconnecting { get; private set; }

    public Action<Failure>? OnLost { get; set; }

    public Socket Socket => _socket;

    /// <summary>Always null: TLS connections use the completion-based transport, which needs a stream.</summary>
    public System.Net.Security.SslStream? TlsStream => null;

    public EndPoint? GetPeer() => _peer;

    public EndPoint? GetHost() => _host;

    public void Start(IProtocol protocol)
    {
        _protocol = protocol;
        _socket.Blocking = false;
        _registry.Connections.Add(this);
        _interest = EpollNative.EpollIn | EpollNative.EpollRdHup;
        _token = _reactor.Register(_socket, this, _interest);
        try
        {
            protocol.MakeConnection(this);
        }
        catch (Exception e)
        {
            _reactor.Logger.LogError(e, "ConnectionMade of {Protocol} failed; closing the connection", protocol.GetType().Name);
            CloseNow(new Failure(new ConnectionLostException("ConnectionMade failed.", e)));
        }
    }

    // ---- Readiness -------------------------------------------------------------------------------------------------

    public void OnEvents(uint events)
    {
        if (_closed)
        {
            return;
        }
        if ((events & (EpollNative.EpollIn | EpollNative.EpollRdHup | EpollNative.EpollHup | EpollNative.EpollErr)) != 0 && Reading)
        {
            DoRead();
        }
        if ((events & EpollNative.EpollOut) != 0 && !_closed)
        {
            Flush();
        }
        else if ((events & (EpollNative.EpollHup | EpollNative.EpollErr)) != 0 && !_closed && !Reading)
        {
            // Not reading, so the error surfaces here: probe it with a zero-byte send.
            _socket.Send(ReadOnlySpan<byte>.Empty, SocketFlags.None, out var error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                CloseNow(new Failure(new ConnectionLostException(new SocketException((int)error).Message)));
            }
        }
    }

    private bool Reading => !_readPaused && !_readClosed && !Disconnecting;

    private void DoRead()
    {
        var buffer = _reactor.ReadBuffer;
        for (var i = 0; i < ReadsPerEvent && Reading && !_closed; i++)
        {
            var count = _socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return;
            }
            if (error != SocketError.Success)
            {
                CloseNow(new Failure(new ConnectionLostException(new SocketException((int)error).Message, new SocketException((int)error))));
                return;
            }
            if (count == 0)
            {
                ReadEnded();
                return;
            }
            try
            {
                _protocol.DataReceived(buffer.AsSpan(0, count));
            }
            catch (Exception e)
            {
                _reactor.Logger.LogError(e, "DataReceived of {Protocol} failed; closing the connection", _protocol.GetType().Name);
                CloseNow(new Failure(e));
                return;
            }
            if (count < buffer.Length)
            {
                return;
            }
        }
    }

    private void ReadEnded()
    {
        _readClosed = true;
        UpdateInterest();
        HalfClose.ReadEnded(this, _protocol, _writeShutDown, _reactor.Logger);
    }

    private void UpdateInterest()
    {
        if (_closed)
        {
            return;
        }
        var wanted = (Reading ? EpollNative.EpollIn | EpollNative.EpollRdHup : 0u) | (BufferedBytes > 0 ? EpollNative.EpollOut : 0u);
        if (wanted != _interest)
        {
            _interest = wanted;
            _reactor.Modify(_socket, _token, wanted);
        }
    }

    public void PauseProducing()
    {
        _readPaused = true;
        UpdateInterest();
    }

    public void ResumeProducing()
    {
        // Only re-arms interest: reading now would reuse the shared buffer under a DataReceived still running.
        _readPaused = false;
        UpdateInterest();
    }

    public void StopProducing() => LoseConnection();

    // ---- Writing ---------------------------------------------------------------------------------------------------

    public void Write(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || Disconnecting || _closed || _writeShutdownRequested)
        {
            return;
        }
        _writeBuffer.Append(data);
        AfterWrite();
    }

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
        MarkDirty();
    }

    private void MarkDirty()
    {
        if (!_dirty && !_closed)
        {
            _dirty = true;
            _reactor.MarkDirty(this);
        }
    }

    /// <summary>Sends what the kernel takes; called before the reactor waits and when the socket is writable.</summary>
    internal void Flush()
    {
        _dirty = false;
        if (_closed)
        {
            return;
        }
        while (BufferedBytes > 0)
        {
            var sent = _socket.Send(_writeBuffer.WrittenSpan[_sentOffset..], SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                break;
            }
            if (error != SocketError.Success)
            {
                CloseNow(new Failure(new ConnectionLostException(new SocketException((int)error).Message, new SocketException((int)error))));
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
            rest.Write(_writeBuffer.WrittenSpan[_sentOffset..]);
            _writeBuffer = rest;
            _sentOffset = 0;
        }
        UpdateInterest();
        _flow.ResumeIfBelow(BufferedBytes);
        if (BufferedBytes == 0 && !_dirty)
        {
            BufferEmpty();
        }
    }

    private void ResetWriteBuffer()
    {
        if (_writeBuffer.Capacity > 1 << 20)
        {
            _writeBuffer = new ArrayBufferWriter<byte>(4096);
        }
        else
        {
            _writeBuffer.ResetWrittenCount();
        }
        _sentOffset = 0;
    }

    private void BufferEmpty()
    {
        if (_flow.HasPullProducer)
        {
            // A pull producer is asked for more; a requested close waits until it unregisters.
            if (!Disconnecting && !_writeShutdownRequested)
            {
                _flow.AskForMore();
            }
            return;
        }
        if (Disconnecting)
        {
            CloseNow(new Failure(new ConnectionDoneException()));
        }
        else if (_writeShutdownRequested && !_writeShutDown)
        {
            ShutdownWrite();
        }
    }

    private void ShutdownWrite()
    {
        _writeShutDown = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException e)
        {
            CloseNow(new Failure(new ConnectionLostException(e.Message, e)));
            return;
        }
        if (_readClosed)
        {
            CloseNow(new Failure(new ConnectionDoneException()));
            return;
        }
        (_protocol as IHalfCloseableProtocol)?.WriteConnectionLost();
    }

    // ---- Producers -------------------------------------------------------------------------------------------------

    public void RegisterProducer(IProducer producer, bool streaming) => _flow.Register(producer, streaming, BufferedBytes, _closed);

    public void UnregisterProducer()
    {
        _flow.Unregister();
        if (!_closed && BufferedBytes == 0 && (Disconnecting || _writeShutdownRequested))
        {
            MarkDirty();
        }
    }

    // ---- Closing ---------------------------------------------------------------------------------------------------

    public void LoseConnection()
    {
        if (Disconnecting || _closed)
        {
            return;
        }
        Disconnecting = true;
        UpdateInterest();
        // The close happens in the next flush (never re-entrantly), once the buffer is empty and any pull producer gone.
        MarkDirty();
    }

    public void AbortConnection()
    {
        if (_closed || _lossReported)
        {
            return;
        }
        Disconnecting = true;
        ResetWriteBuffer();
        CloseSocket(abortive: true);
        _reactor.CallFromThread(static state => ((EpollTransport)state!).CloseNow(new Failure(new ConnectionAbortedException())), this);
    }

    void IAbortWithReason.AbortConnection(Exception reason)
    {
        if (_closed || _lossReported)
        {
            return;
        }
        Disconnecting = true;
        ResetWriteBuffer();
        // Orderly, as Twisted closes a connection whose dataReceived returned a reason (only an abort resets it).
        CloseSocket(abortive: false);
        _reactor.CallFromThread(static state =>
        {
            var (transport, failure) = ((EpollTransport, Failure))state!;
            transport.CloseNow(failure);
        }, (this, new Failure(reason)));
    }

    public void LoseWriteConnection()
    {
        if (_writeShutdownRequested || _closed || Disconnecting)
        {
            return;
        }
        _writeShutdownRequested = true;
        MarkDirty();
    }

    public void CloseNow(Failure reason)
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
    }

    private void CloseSocket(bool abortive)
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        if (_token >= 0)
        {
            _reactor.Unregister(_socket, _token);
            _token = -1;
        }
        try
        {
            if (abortive)
            {
                _socket.LingerState = new LingerOption(true, 0);
            }
            else
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
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
