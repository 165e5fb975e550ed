namespace AsyncCore.Protocols;

/// <summary>
/// Streams a file (any <see cref="Stream"/>) to a consumer as a pull producer (Twisted's <c>basic.FileSender</c>): one
/// chunk per <see cref="ResumeProducing"/>, so a slow peer slows the reads and memory stays bounded.
/// </summary>
/// <remarks>
/// Reads use <see cref="Stream.ReadAsync(Memory{byte}, CancellationToken)"/> so a file read never blocks the reactor
/// thread; a read that completes synchronously is written at once. Call <see cref="BeginFileTransfer"/> on the reactor thread
/// (where the reactor's <see cref="SynchronizationContext"/> brings asynchronous completions back).
/// </remarks>
public sealed class FileSender : IPullProducer
{
    /// <summary>The default chunk size, 16 KiB as in Twisted (<c>CHUNK_SIZE</c>).</summary>
    public const int DefaultChunkSize = 16 * 1024;

    private Stream? _file;
    private IConsumer? _consumer;
    private Func<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>? _transform;
    private Deferred<byte?>? _deferred;
    private byte? _lastSent;
    private readonly byte[] _chunk;
    private bool _reading;

    /// <summary>Creates a sender that reads and writes <paramref name="chunkSize"/> bytes at a time.</summary>
    /// <param name="chunkSize">
    /// The most bytes read and written per <see cref="ResumeProducing"/> (Twisted's <c>CHUNK_SIZE</c>, which a subclass
    /// overrides there): larger chunks mean fewer writes, smaller ones less memory per transfer.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkSize"/> is zero or negative.</exception>
    public FileSender(int chunkSize = DefaultChunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        _chunk = new byte[chunkSize];
    }

    /// <summary>The most bytes read and written per <see cref="ResumeProducing"/> (<see cref="DefaultChunkSize"/> unless given).</summary>
    public int ChunkSize => _chunk.Length;

    /// <summary>
    /// Starts sending <paramref name="file"/> to <paramref name="consumer"/>, registering as its pull producer. The Deferred
    /// fires with the last byte sent (null for an empty file) once everything was written and the producer unregistered, or
    /// fails when the consumer stops the transfer.
    /// </summary>
    /// <param name="file">The data to send; read from its current position to its end (not disposed).</param>
    /// <param name="consumer">Usually a transport.</param>
    /// <param name="transform">Applied to each chunk before it is written (for example to encode it).</param>
    public Deferred<byte?> BeginFileTransfer(Stream file, IConsumer consumer, Func<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>? transform = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(consumer);
        if (_deferred is not null)
        {
            throw new InvalidOperationException("A FileSender sends one file.");
        }
        _file = file;
        _consumer = consumer;
        _transform = transform;
        _deferred = new Deferred<byte?>();
        consumer.RegisterProducer(this, streaming: false);
        return _deferred;
    }

    /// <inheritdoc />
    public void ResumeProducing()
    {
        if (_file is null || _reading)
        {
            return;
        }
        var read = _file.ReadAsync(_chunk);
        if (read.IsCompleted)
        {
            Send(read.Result);
        }
        else
        {
            _reading = true;
            _ = AwaitRead(read);
        }
    }

    private async Task AwaitRead(ValueTask<int> read)
    {
        int count;
        try
        {
            count = await read;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            _reading = false;
            Finish(new Failure(e));
            return;
        }
        _reading = false;
        Send(count);
    }

    private void Send(int count)
    {
        if (_file is null || _consumer is null)
        {
            return;
        }
        if (count == 0)
        {
            Finish(null);
            return;
        }
        ReadOnlyMemory<byte> chunk = _chunk.AsMemory(0, count);
        if (_transform is not null)
        {
            chunk = _transform(chunk);
        }
        if (!chunk.IsEmpty)
        {
            _lastSent = chunk.Span[^1];
        }
        _consumer.Write(chunk.Span);
    }

    private void Finish(Failure? failure)
    {
        var consumer = _consumer;
        var deferred = _deferred!;
        _file = null;
        _consumer = null;
        consumer?.UnregisterProducer();
        if (failure is null)
        {
            deferred.Callback(_lastSent);
        }
        else
        {
            deferred.Errback(failure);
        }
    }

    /// <inheritdoc />
    public void StopProducing()
    {
        if (_deferred is not null && _file is not null)
        {
            _file = null;
            _consumer = null;
            _deferred.Errback(new IOException("Consumer asked us to stop producing"));
        }
    }
}
