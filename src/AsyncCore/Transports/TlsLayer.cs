using System.Buffers;
using System.Net.Security;

namespace AsyncCore.Transports;

/// <summary>
/// TLS started on a connection that began in clear (Twisted's <c>TLSMemoryBIOProtocol</c>, which its <c>startTLS</c>
/// inserts): an <see cref="SslStream"/> over an in-memory stream, so that the transport keeps its own I/O. Ciphertext
/// the transport reads goes in through <see cref="CiphertextReceived"/>; ciphertext SslStream writes goes out through the
/// transport's raw write path; the plaintext SslStream reads goes to the protocol.
/// </summary>
/// <remarks>
/// Everything runs on the reactor thread: the in-memory stream completes SslStream's reads from inside
/// <see cref="CiphertextReceived"/> and takes its writes synchronously, so SslStream never waits on anything else.
/// </remarks>
internal sealed class TlsLayer
{
    private const int PlainBufferSize = 16 * 1024;

    private readonly StreamTransport _transport;
    private readonly int _reactorThread = Environment.CurrentManagedThreadId;
    private readonly MemoryBio _bio;
    private readonly SslStream _ssl;
    private ArrayBufferWriter<byte>? _pendingPlain = new(256);
    private byte[]? _plainBuffer;
    private bool _reading;
    private bool _closeAfterHandshake;
    // Until the writes that waited (and a close alert) are in the write buffer: a requested close must not happen first.
    private bool _handshaking = true;
    private bool _shutDown;
    private bool _disposed;

    public TlsLayer(StreamTransport transport)
    {
        _transport = transport;
        _bio = new MemoryBio(this);
        _ssl = new SslStream(_bio, leaveInnerStreamOpen: true);
    }

    /// <summary>Fires once the handshake is done; fails (and the connection closes) when it fails.</summary>
    public Deferred<SslStream> Handshake { get; } = new();

    /// <summary>The handshake is running: a requested close waits for it, and the socket is still read.</summary>
    public bool Handshaking => _handshaking && !_disposed;

    /// <summary>The stream once the handshake is done; null before.</summary>
    public SslStream? Authenticated => _pendingPlain is null && !_disposed ? _ssl : null;

    public void StartClient(SslClientAuthenticationOptions options) => _ = RunHandshake(_ssl.AuthenticateAsClientAsync(options));

    public void StartServer(SslServerAuthenticationOptions options) => _ = RunHandshake(_ssl.AuthenticateAsServerAsync(options));

    private async Task RunHandshake(Task authenticating)
    {
        // Awaited on the reactor thread: the continuation comes back through the reactor's context.
        try
        {
            await authenticating;
        }
        catch (Exception e)
        {
            _handshaking = false;
            // The Deferred first, so that the protocol hears why before it hears that the connection is lost.
            if (!Handshake.Called)
            {
                Handshake.Errback(e);
            }
            if (!_transport.IsClosed)
            {
                _transport.TlsFailed(e);
            }
            return;
        }
        if (_disposed)
        {
            return;
        }
        var pending = _pendingPlain!;
        _pendingPlain = null;
        if (pending.WrittenCount > 0)
        {
            WriteEncrypted(pending.WrittenSpan);
        }
        if (_closeAfterHandshake)
        {
            if (!_transport.PeerEnded)
            {
                Shutdown();
            }
            _handshaking = false;
            Handshake.Callback(_ssl);
            _transport.TlsCloseWhenSent();
        }
        else
        {
            _handshaking = false;
            Handshake.Callback(_ssl);
            Resume();
        }
    }

    /// <summary>The protocol wrote plaintext: encrypt it now, or keep it until the handshake is done.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (_pendingPlain is { } pending)
        {
            pending.Write(data);
            return;
        }
        WriteEncrypted(data);
    }

    private void WriteEncrypted(ReadOnlySpan<byte> data)
    {
        if (_disposed || _shutDown)
        {
            return;
        }
        try
        {
            // Completes synchronously: the in-memory stream hands each record to the transport's write buffer.
            _ssl.Write(data);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            _transport.TlsFailed(e);
        }
    }

    /// <summary>
    /// The protocol asked to close: sends the close alert now (true: the transport closes once sent), or after the
    /// handshake when it is still running (false: the layer finishes the close then).
    /// </summary>
    public bool CloseRequested()
    {
        if (_pendingPlain is not null)
        {
            _closeAfterHandshake = true;
            return false;
        }
        if (!_transport.PeerEnded)
        {
            // A peer that closed its socket cannot read the alert (and writing it would fail the close).
            Shutdown();
        }
        return true;
    }

    /// <summary>Sends TLS's close alert (close_notify) once; later writes are dropped.</summary>
    public void Shutdown()
    {
        if (_shutDown || _disposed || _pendingPlain is not null)
        {
            return;
        }
        _shutDown = true;
        try
        {
            // Completes at once (the alert goes into the transport's write buffer); never waited for on the reactor.
            var shutdown = _ssl.ShutdownAsync();
            if (!shutdown.IsCompleted)
            {
                _ = shutdown.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            // The close goes on without the alert.
        }
    }

    /// <summary>The transport read ciphertext (empty: the peer closed its side).</summary>
    public void CiphertextReceived(ReadOnlySpan<byte> data) => _bio.Received(data);

    /// <summary>Reading was resumed (or the handshake is done): read plaintext until paused.</summary>
    public void Resume()
    {
        if (_reading || _pendingPlain is not null || _disposed || _transport.ReadStopped)
        {
            return;
        }
        _reading = true;
        _plainBuffer ??= ArrayPool<byte>.Shared.Rent(PlainBufferSize);
        _ = ReadLoop();
    }

    private async Task ReadLoop()
    {
        try
        {
            while (!_disposed && !_transport.ReadStopped)
            {
                int count;
                try
                {
                    count = await _ssl.ReadAsync(_plainBuffer.AsMemory());
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or System.Security.Authentication.AuthenticationException)
                {
                    if (_disposed || _transport.IsClosed)
                    {
                        return;
                    }
                    if (_bio.Ended)
                    {
                        // The peer closed the socket without TLS's close alert: an end of stream all the same.
                        _transport.TlsPlaintextReceived([]);
                    }
                    else
                    {
                        _transport.TlsFailed(e);
                    }
                    return;
                }
                if (_disposed || _transport.IsClosed)
                {
                    return;
                }
                if (!_transport.TlsPlaintextReceived(_plainBuffer.AsSpan(0, count)))
                {
                    return;
                }
            }
        }
        finally
        {
            _reading = false;
            if (_disposed && _plainBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_plainBuffer);
                _plainBuffer = null;
            }
        }
    }

    /// <summary>The connection is closed: ends a read SslStream waits for and releases the stream.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _bio.Received([]);
        _ssl.Dispose();
        if (!_reading && _plainBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_plainBuffer);
            _plainBuffer = null;
        }
    }

    /// <summary>The in-memory stream under SslStream: reads what the transport received, writes into the transport.</summary>
    private sealed class MemoryBio(TlsLayer layer) : Stream
    {
        // SslStream may ask for the next read from a thread-pool thread while the reactor thread hands bytes in.
        private readonly Lock _gate = new();
        private readonly ArrayBufferWriter<byte> _received = new(4096);
        private int _offset;
        private TaskCompletionSource<int>? _pendingRead;
        private Memory<byte> _pendingBuffer;

        public bool Ended { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public void Received(ReadOnlySpan<byte> data)
        {
            TaskCompletionSource<int>? read;
            int count;
            lock (_gate)
            {
                if (data.IsEmpty)
                {
                    Ended = true;
                }
                else
                {
                    _received.Write(data);
                }
                read = _pendingRead;
                if (read is null)
                {
                    return;
                }
                _pendingRead = null;
                count = Take(_pendingBuffer.Span);
                _pendingBuffer = default;
            }
            // Completes inline: SslStream's continuation decrypts here, on the reactor thread.
            read.TrySetResult(count);
        }

        private int Take(Span<byte> buffer)
        {
            var available = _received.WrittenSpan[_offset..];
            var count = Math.Min(available.Length, buffer.Length);
            available[..count].CopyTo(buffer);
            _offset += count;
            if (_offset == _received.WrittenCount)
            {
                _offset = 0;
                _received.ResetWrittenCount();
            }
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                if (_received.WrittenCount > _offset || Ended || buffer.IsEmpty)
                {
                    return ValueTask.FromResult(Take(buffer.Span));
                }
                if (_pendingRead is not null)
                {
                    throw new InvalidOperationException("SslStream issued two reads at once.");
                }
                _pendingRead = new TaskCompletionSource<int>();
                _pendingBuffer = buffer;
                return new ValueTask<int>(_pendingRead.Task);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            lock (_gate)
            {
                if (_received.WrittenCount > _offset || Ended || count == 0)
                {
                    return Take(buffer.AsSpan(offset, count));
                }
            }
            // Nothing may block the reactor thread; SslStream only reads asynchronously here.
            throw new InvalidOperationException("A synchronous read with no data would block the reactor.");
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Environment.CurrentManagedThreadId == layer._reactorThread)
            {
                layer._transport.TlsCiphertextWrite(buffer);
                return;
            }
            // SslStream runs parts of a handshake on the thread pool (the server's first flight): the bytes go to the
            // reactor thread, in order, through its call queue.
            layer._transport.TlsPost(static state =>
            {
                var (transport, bytes) = ((StreamTransport, byte[]))state!;
                transport.TlsCiphertextWrite(bytes);
            }, (layer._transport, buffer.ToArray()));
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
