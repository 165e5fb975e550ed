using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using AsyncCore.Protocols;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Transports;

/// <summary>
/// What every connected stream socket's transport shares, whichever way it does its I/O (Twisted's
/// <c>abstract.FileDescriptor</c> and <c>tcp.Connection</c>, as Kestrel's socket transports share
/// <c>TransportConnection</c>): the connection state (disconnecting, half-closed, closed), the write guards, the
/// registered producer and its water marks, the close, abort and half-close logic and reporting the loss once.
/// </summary>
/// <remarks>
/// <para>A subclass owns the I/O: how it reads (<see cref="ReadingChanged"/>), sends what <see cref="Write"/> put in
/// <see cref="WriteBuffer"/> (<see cref="StartSending"/>), finishes a requested close once the buffer is sent, shuts
/// down the sending side and gets back onto the reactor thread. The hooks are called once per write, per state change
/// or per connection, never per byte; the subclasses are sealed, so their own calls to the abstract members bind
/// directly.</para>
/// <para>Everything here runs on the reactor thread.</para>
/// </remarks>
internal abstract class StreamTransport : ISocketTransport, ITlsTransport, IWriteBuffered, IStreamConnection, IAbortWithReason
{
    private readonly NetworkRegistry _registry;
    private readonly EndPoint? _host;
    private readonly EndPoint? _peer;
    private bool _lossReported;
    // TLS started on the open connection (StartTls); null while the connection is in clear or was TLS from the start.
    private TlsLayer? _tlsLayer;
    private bool _plainEnded;

    protected StreamTransport(Socket socket, SslStream? tls, NetworkRegistry registry, ILogger logger)
    {
        Socket = socket;
        ConnectionTls = tls;
        _registry = registry;
        Logger = logger;
        _host = SafeEndPoint(static socket => socket.LocalEndPoint, socket);
        _peer = SafeEndPoint(static socket => socket.RemoteEndPoint, socket);
    }

    /// <summary>The buffered bytes above which a streaming producer is paused (64 KiB, as Twisted's <c>bufferSize</c>).</summary>
    public int HighWaterMark { get => Flow.HighWaterMark; set => Flow.HighWaterMark = value; }

    /// <summary>The buffered bytes at or below which a paused producer is resumed (0: once everything is sent).</summary>
    public int LowWaterMark { get => Flow.LowWaterMark; set => Flow.LowWaterMark = value; }

    /// <summary>The bytes written and not yet taken by the kernel.</summary>
    public abstract long BufferedBytes { get; }

    /// <summary>The protocol on this connection.</summary>
    public IProtocol Protocol { get; private set; } = null!;

    /// <inheritdoc />
    public Socket Socket { get; }

    /// <inheritdoc />
    public SslStream? TlsStream => ConnectionTls ?? _tlsLayer?.Authenticated;

    /// <summary>The TLS stream the connection was made with (a TLS endpoint), which the subclass reads and writes through.</summary>
    protected SslStream? ConnectionTls { get; }

    /// <inheritdoc />
    public bool Disconnecting { get; private set; }

    /// <summary>Called once the connection is lost, after the protocol (the connector uses it).</summary>
    public Action<Failure>? OnLost { get; set; }

    /// <summary>The registered producer and the water marks; the sending strategy stays in the subclass.</summary>
    protected ProducerFlow Flow { get; } = new();

    /// <summary>What <see cref="Write"/> appends to; the subclass sends from it (and may swap it for a spare buffer).</summary>
    protected ArrayBufferWriter<byte> WriteBuffer { get; set; } = new(4096);

    /// <summary>The reactor's logger.</summary>
    protected ILogger Logger { get; }

    /// <summary>The protocol paused reading (<see cref="PauseProducing"/>).</summary>
    protected bool ReadPaused { get; private set; }

    /// <summary>The peer ended its side: a read returned end of stream.</summary>
    protected bool ReadClosed { get; private set; }

    /// <summary><see cref="LoseWriteConnection"/> was called: shut down sending once the buffer is sent.</summary>
    protected bool WriteShutdownRequested { get; private set; }

    /// <summary>This side has shut down sending.</summary>
    protected bool WriteShutDown { get; private set; }

    /// <summary>The socket is closed (the loss may not be reported yet).</summary>
    protected bool Closed { get; private set; }

    /// <inheritdoc />
    public EndPoint? GetPeer() => _peer;

    /// <inheritdoc />
    public EndPoint? GetHost() => _host;

    /// <summary>Attaches the protocol, tells it the connection is made and starts reading.</summary>
    public void Start(IProtocol protocol)
    {
        Protocol = protocol;
        _registry.Connections.Add(this);
        BeforeConnectionMade();
        try
        {
            protocol.MakeConnection(this);
        }
        catch (Exception e)
        {
            Logger.LogError(e, "ConnectionMade of {Protocol} failed; closing the connection", protocol.GetType().Name);
            CloseNow(new Failure(new ConnectionLostException("ConnectionMade failed.", e)));
            return;
        }
        AfterConnectionMade();
    }

    // ---- Reading ---------------------------------------------------------------------------------------------------

    /// <summary>Stops reading from the peer (the transport as a push producer of incoming data).</summary>
    public void PauseProducing()
    {
        ReadPaused = true;
        ReadingChanged();
    }

    /// <summary>Resumes reading from the peer.</summary>
    public void ResumeProducing()
    {
        ReadPaused = false;
        ReadingChanged();
        // Plaintext SslStream already decrypted is not waiting on the socket: the layer reads it now.
        _tlsLayer?.Resume();
    }

    /// <summary>Stops reading for good and closes the connection.</summary>
    public void StopProducing() => LoseConnection();

    /// <summary>
    /// A read returned end of stream (Twisted's <c>readConnectionLost</c>). A half-closeable protocol hears
    /// <c>ReadConnectionLost</c> and keeps writing (unless this side already shut down writing: then both directions are
    /// done and the connection closes cleanly); any other protocol gets <see cref="LoseConnection"/>, which sends what is
    /// buffered and then closes cleanly.
    /// </summary>
    protected void ReadEnded()
    {
        ReadClosed = true;
        ReadingChanged();
        if (Protocol is IHalfCloseableProtocol halfCloseable && !WriteShutDown)
        {
            try
            {
                halfCloseable.ReadConnectionLost();
            }
            catch (Exception e)
            {
                Logger.LogError(e, "ReadConnectionLost of {Protocol} failed", Protocol.GetType().Name);
                CloseNow(new Failure(e));
            }
            return;
        }
        if (WriteShutDown)
        {
            // Both directions are finished: a clean close.
            CloseNow(new Failure(new ConnectionDoneException()));
            return;
        }
        LoseConnection();
    }

    /// <summary>
    /// A read returned <paramref name="data"/> (empty: end of stream): hands it to the protocol. False when reading must
    /// stop: end of stream, or <c>DataReceived</c> threw and the connection is closed (Twisted drops the connection and
    /// logs the exception).
    /// </summary>
    protected bool Deliver(ReadOnlySpan<byte> data)
    {
        if (_tlsLayer is { } layer)
        {
            // Ciphertext: the layer decrypts it and hands the plaintext back through TlsPlaintextReceived.
            if (data.IsEmpty)
            {
                // Stop reading the socket; the end reaches the protocol after the plaintext still in the layer.
                ReadClosed = true;
                ReadingChanged();
            }
            layer.CiphertextReceived(data);
            return !data.IsEmpty && !Closed;
        }
        return DeliverPlain(data);
    }

    private bool DeliverPlain(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            ReadEnded();
            return false;
        }
        try
        {
            Protocol.DataReceived(data);
        }
        catch (Exception e)
        {
            Logger.LogError(e, "DataReceived of {Protocol} failed; closing the connection", Protocol.GetType().Name);
            CloseNow(new Failure(e));
            return false;
        }
        return true;
    }

    /// <summary>A socket operation failed: closes the connection and reports it lost with <paramref name="cause"/>.</summary>
    protected void CloseLost(Exception cause) => CloseNow(new Failure(new ConnectionLostException(cause.Message, cause)));

    // ---- Writing ---------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> data)
    {
        if (!data.IsEmpty && AcceptsWrites)
        {
            if (_tlsLayer is { } layer)
            {
                layer.Write(data);
                return;
            }
            WriteBuffer.Append(data);
            StartSending();
        }
    }

    /// <inheritdoc />
    public void WriteSequence(IEnumerable<ReadOnlyMemory<byte>> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (AcceptsWrites)
        {
            if (_tlsLayer is { } layer)
            {
                foreach (var segment in data)
                {
                    layer.Write(segment.Span);
                }
                return;
            }
            WriteBuffer.Append(data);
            StartSending();
        }
    }

    // Twisted ignores writes after loseConnection or loseWriteConnection, and on a closed connection.
    private bool AcceptsWrites => !Disconnecting && !Closed && !WriteShutdownRequested;

    /// <summary>
    /// Everything is sent and no producer holds the close back: finishes a requested close or half-close (the end of
    /// Twisted's <c>doWrite</c>).
    /// </summary>
    protected void FinishRequestedClose()
    {
        if (Disconnecting)
        {
            if (_tlsLayer is { Handshaking: true })
            {
                // A close requested during a STARTTLS handshake waits for it (the layer closes once it is done).
                return;
            }
            CloseNow(new Failure(new ConnectionDoneException()));
        }
        else if (WriteShutdownRequested && !WriteShutDown)
        {
            ShutdownWrite();
        }
    }

    /// <summary>Shuts down the sending side (once): <see cref="ShutdownSocketWrite"/> ends in <see cref="WriteSideClosed"/>.</summary>
    protected void ShutdownWrite()
    {
        WriteShutDown = true;
        ShutdownSocketWrite();
    }

    /// <summary>The sending side is shut down: closes cleanly if the peer's side is too, else tells the protocol.</summary>
    protected void WriteSideClosed()
    {
        if (ReadClosed)
        {
            CloseNow(new Failure(new ConnectionDoneException()));
            return;
        }
        (Protocol as IHalfCloseableProtocol)?.WriteConnectionLost();
    }

    // ---- Producers -------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public void RegisterProducer(IProducer producer, bool streaming) => Flow.Register(producer, streaming, BufferedBytes, Closed);

    /// <inheritdoc />
    public void UnregisterProducer()
    {
        Flow.Unregister();
        if (!Closed && (Disconnecting || WriteShutdownRequested))
        {
            ProducerUnregisteredWhileClosing();
        }
    }

    // ---- Closing ---------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public void LoseConnection()
    {
        if (Disconnecting || Closed)
        {
            return;
        }
        Disconnecting = true;
        if (_tlsLayer is { } layer && !layer.CloseRequested())
        {
            // The handshake is still running: the layer sends what waits for it, the close alert, then closes.
            return;
        }
        CloseWhenSent();
    }

    /// <inheritdoc />
    public void AbortConnection()
    {
        if (DropForAbort(abortive: true))
        {
            Post(static state => ((StreamTransport)state!).CloseNow(new Failure(new ConnectionAbortedException())), this);
        }
    }

    /// <inheritdoc />
    void IAbortWithReason.AbortConnection(Exception reason)
    {
        // Orderly, as Twisted closes a connection whose dataReceived returned a reason (only an abort resets it).
        if (DropForAbort(abortive: false))
        {
            Post(static state =>
            {
                var (transport, failure) = ((StreamTransport, Failure))state!;
                transport.CloseNow(failure);
            }, (this, new Failure(reason)));
        }
    }

    /// <summary>Drops the buffer and closes the socket at once; false when the connection is already closed.</summary>
    private bool DropForAbort(bool abortive)
    {
        if (Closed || _lossReported)
        {
            return false;
        }
        Disconnecting = true;
        DiscardWriteBuffer();
        CloseSocket(abortive);
        return true;
    }

    /// <inheritdoc />
    public void LoseWriteConnection()
    {
        if (WriteShutdownRequested || Closed || Disconnecting)
        {
            return;
        }
        WriteShutdownRequested = true;
        _tlsLayer?.Shutdown();
        ShutdownWriteWhenSent();
    }

    /// <summary>Closes the socket and reports the loss once (from the reactor thread).</summary>
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
        Flow.Stop(Logger);
        try
        {
            Protocol.ConnectionLost(reason);
        }
        catch (Exception e)
        {
            Logger.LogError(e, "ConnectionLost of {Protocol} failed", Protocol.GetType().Name);
        }
        OnLost?.Invoke(reason);
        AfterConnectionLost();
    }

    private void CloseSocket(bool abortive)
    {
        if (Closed)
        {
            return;
        }
        Closed = true;
        SocketClosing();
        try
        {
            if (abortive)
            {
                Socket.LingerState = new LingerOption(true, 0);
            }
            else if (ShutdownOnClose)
            {
                Socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }
        catch (ObjectDisposedException)
        {
        }
        ConnectionTls?.Dispose();
        _tlsLayer?.Dispose();
        Socket.Dispose();
    }

    private static EndPoint? SafeEndPoint(Func<Socket, EndPoint?> get, Socket socket)
    {
        try
        {
            return get(socket);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    // ---- STARTTLS --------------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public Deferred<SslStream> StartTls(TlsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var layer = BeginTls();
        layer.StartClient(options.ToAuthenticationOptions(options.Hostname ?? ""));
        return layer.Handshake;
    }

    /// <inheritdoc />
    public Deferred<SslStream> StartTls(TlsServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var layer = BeginTls();
        layer.StartServer(options.ToAuthenticationOptions());
        return layer.Handshake;
    }

    private TlsLayer BeginTls()
    {
        if (ConnectionTls is not null || _tlsLayer is not null)
        {
            throw new InvalidOperationException("The connection is already TLS.");
        }
        if (Closed || Disconnecting || WriteShutdownRequested)
        {
            throw new InvalidOperationException("The connection is closing.");
        }
        // What was written before this call is already in the write buffer and goes out in clear, first.
        return _tlsLayer = new TlsLayer(this);
    }

    /// <summary>
    /// Reading stops because the connection is closing: <see cref="Disconnecting"/>, except while a STARTTLS handshake
    /// that a requested close waits for still needs the peer's answers.
    /// </summary>
    protected bool DisconnectingStopsReading => Disconnecting && _tlsLayer is not { Handshaking: true };

    /// <summary>The peer closed its side of the socket (for the TLS layer: no close alert is sent then).</summary>
    internal bool PeerEnded => ReadClosed;

    /// <summary>The connection is closed (for the TLS layer).</summary>
    internal bool IsClosed => Closed;

    /// <summary>The protocol paused reading, or reading ended (for the TLS layer: stop handing plaintext up).</summary>
    internal bool ReadStopped => ReadPaused || _plainEnded || Closed;

    /// <summary>The TLS layer's ciphertext: straight into the write buffer, also while a close sends the alert.</summary>
    internal void TlsCiphertextWrite(ReadOnlySpan<byte> data)
    {
        if (!data.IsEmpty && !Closed)
        {
            WriteBuffer.Append(data);
            StartSending();
        }
    }

    /// <summary>Runs <paramref name="callback"/> on the reactor thread (for the TLS layer's handshake writes from the thread pool).</summary>
    internal void TlsPost(Action<object?> callback, object? state) => Post(callback, state);

    /// <summary>The TLS layer decrypted <paramref name="data"/> (empty: the peer ended the stream).</summary>
    internal bool TlsPlaintextReceived(ReadOnlySpan<byte> data)
    {
        _plainEnded |= data.IsEmpty;
        return DeliverPlain(data);
    }

    /// <summary>The TLS handshake or a record failed: the connection is lost with that cause.</summary>
    internal void TlsFailed(Exception cause) => CloseLost(cause);

    /// <summary>A close waited for the handshake; the close alert is written: close once sent.</summary>
    internal void TlsCloseWhenSent()
    {
        if (!Closed)
        {
            CloseWhenSent();
        }
    }

    // ---- The subclass's I/O ----------------------------------------------------------------------------------------

    /// <summary>Before <c>ConnectionMade</c>: set the socket up for this transport's I/O.</summary>
    protected virtual void BeforeConnectionMade()
    {
    }

    /// <summary>After <c>ConnectionMade</c> returned normally: start reading if the transport reads by itself.</summary>
    protected virtual void AfterConnectionMade()
    {
    }

    /// <summary>Reading was paused, resumed or ended: start or stop reading to match.</summary>
    protected abstract void ReadingChanged();

    /// <summary>
    /// Bytes were appended to <see cref="WriteBuffer"/> (once per write): pause a streaming producer above the
    /// high-water mark and send them, now or before the reactor waits again.
    /// </summary>
    protected abstract void StartSending();

    /// <summary><see cref="LoseConnection"/> was called: close once the buffer is sent and no producer holds the close back.</summary>
    protected abstract void CloseWhenSent();

    /// <summary><see cref="LoseWriteConnection"/> was called: shut down sending once the buffer is sent.</summary>
    protected abstract void ShutdownWriteWhenSent();

    /// <summary>The producer was unregistered while a close or half-close waits: finish it if the buffer is sent.</summary>
    protected abstract void ProducerUnregisteredWhileClosing();

    /// <summary>An abort drops what is still buffered.</summary>
    protected abstract void DiscardWriteBuffer();

    /// <summary>Shuts down the socket's sending side, then calls <see cref="WriteSideClosed"/> (or <see cref="CloseNow"/> on an error).</summary>
    protected abstract void ShutdownSocketWrite();

    /// <summary>Runs <paramref name="callback"/> on the reactor thread at its next pass (never re-entrantly).</summary>
    protected abstract void Post(Action<object?> callback, object? state);

    /// <summary>The socket is about to be closed: stop watching it.</summary>
    protected virtual void SocketClosing()
    {
    }

    /// <summary>Whether an orderly close shuts the socket down (both directions) before disposing it.</summary>
    protected virtual bool ShutdownOnClose => true;

    /// <summary>After the loss was reported: release what the I/O held.</summary>
    protected virtual void AfterConnectionLost()
    {
    }
}
