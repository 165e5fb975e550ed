using System.Buffers;
using System.Net;
using System.Net.Sockets;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Transports;

/// <summary>A bound datagram socket (Twisted's <c>udp.Port</c>).</summary>
internal sealed class UdpPort : IDatagramTransport, IListeningPort, IClosable
{
    private readonly ReactorBase _reactor;
    private readonly Socket _socket;
    private readonly DatagramProtocol _protocol;
    private readonly NetworkRegistry _registry;
    private readonly int _maxPacketSize;
    private readonly EndPoint _host;
    private Deferred<object?>? _stopped;
    private bool _closed;

    internal UdpPort(ReactorBase reactor, Socket socket, DatagramProtocol protocol, NetworkRegistry registry, int maxPacketSize)
    {
        _reactor = reactor;
        _socket = socket;
        _protocol = protocol;
        _registry = registry;
        _maxPacketSize = maxPacketSize;
        _host = socket.LocalEndPoint!;
    }

    /// <inheritdoc />
    public EndPoint GetHost() => _host;

    internal void Start()
    {
        _registry.Ports.Add(this);
        _reactor.CallFromThread(static state =>
        {
            var port = (UdpPort)state!;
            port._protocol.MakeConnection(port);
            _ = port.ReadLoop();
        }, this);
    }

    private async Task ReadLoop()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_maxPacketSize);
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (!_closed)
            {
                SocketReceiveFromResult result;
                try
                {
                    result = await _socket.ReceiveFromAsync(buffer.AsMemory(0, _maxPacketSize), SocketFlags.None, any);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
                {
                    // An ICMP error for an earlier send, or an oversized datagram: UDP goes on.
                    continue;
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    if (!_closed)
                    {
                        _reactor.Logger.LogError(e, "UDP receive failed on {Address}", _host);
                    }
                    return;
                }
                try
                {
                    _protocol.DatagramReceived(buffer.AsSpan(0, result.ReceivedBytes), result.RemoteEndPoint);
                }
                catch (Exception e)
                {
                    _reactor.Logger.LogError(e, "DatagramReceived of {Protocol} failed", _protocol.GetType().Name);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> data, EndPoint to)
    {
        ArgumentNullException.ThrowIfNull(to);
        if (_closed)
        {
            return;
        }
        // The socket is non-blocking: a full send buffer drops the datagram, which UDP allows, instead of blocking the reactor.
        try
        {
            _socket.SendTo(data, SocketFlags.None, to);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.NoBufferSpaceAvailable)
        {
            // Dropped, as the network may drop it.
        }
    }

    /// <inheritdoc />
    public Deferred<object?> StopListening()
    {
        if (_stopped is not null)
        {
            return _stopped;
        }
        _stopped = new Deferred<object?>();
        Close();
        var stopped = _stopped;
        _reactor.CallFromThread(() =>
        {
            _protocol.StopProtocol();
            stopped.Callback(null);
        });
        return stopped;
    }

    void IClosable.CloseForShutdown()
    {
        if (!_closed)
        {
            Close();
            _protocol.StopProtocol();
        }
    }

    private void Close()
    {
        _closed = true;
        _registry.Ports.Remove(this);
        _socket.Dispose();
    }
}
