using AsyncCore.Protocols;
using AsyncCore.Reactor;
using MimeKit;

namespace AsyncCore.Mail;

/// <summary>
/// Streams one large message's DATA section into the transport as MimeKit writes it, under the transport's
/// backpressure: registered as a push producer, it lets MimeKit's <see cref="MimeMessage.WriteToAsync(FormatOptions, Stream, CancellationToken)"/>
/// go on while the transport's buffer is under its high-water mark and makes MimeKit's next write wait (an unfinished
/// <see cref="ValueTask"/>) once the transport pauses it, until the transport has sent what it holds.
/// </summary>
/// <remarks>
/// <para>Why this design: MimeKit serialises by writing to a stream, so the choice was between a full copy (render into
/// a buffer, then stream it out: 20 MB held for a 20 MB message) and suspending MimeKit itself. Its asynchronous writer
/// suspends at each of our writes, so nothing but the transport's bounded buffer and MimeKit's own 4 KiB chunks hold the
/// message: no copy at all. MimeKit awaits with <c>ConfigureAwait(false)</c>, so a write we complete on the reactor
/// thread (in <see cref="ResumeProducing"/>) continues MimeKit there, synchronously.</para>
/// <para>A part whose content comes from a file may complete its read on a pool thread; MimeKit then calls us off the
/// reactor thread, and the write is carried over to the reactor (when the clock is a reactor that says which thread is
/// its own), whose completion brings MimeKit back to the reactor thread too.</para>
/// </remarks>
internal sealed class DataProducer : Stream, IPushProducer
{
    private readonly ITransport _transport;
    private readonly IReactorThreads? _threads;
    private readonly DotStuffingStream _data;
    private readonly Action _progress;
    private readonly Deferred<bool> _done = new();
    private bool _paused;
    private bool _stopped;
    private TaskCompletionSource? _waiting;

    /// <param name="transport">The connection, after the server's 354.</param>
    /// <param name="clock">The client's clock; when it is a reactor, writes from other threads are moved to it.</param>
    /// <param name="progress">Called each time the transport drained and writing resumes (resets the reply timeout).</param>
    public DataProducer(ITransport transport, IReactorTime clock, Action progress)
    {
        _transport = transport;
        _threads = clock as IReactorThreads;
        _data = new DotStuffingStream(transport);
        _progress = progress;
    }

    /// <summary>
    /// Registers on the transport and starts MimeKit. The Deferred fires (on the reactor thread) once the whole message
    /// and the final <c>.</c> are written, or fails when MimeKit failed or the connection was lost (no <c>.</c> is sent then).
    /// </summary>
    public Deferred<bool> Start(MimeMessage message, FormatOptions format)
    {
        _transport.RegisterProducer(this, streaming: true);
        Task writing;
        try
        {
            writing = message.WriteToAsync(format, this);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            writing = Task.FromException(e);
        }
        if (writing.IsCompleted)
        {
            Finish(writing);
        }
        else
        {
            writing.ContinueWith(
                (task, state) => ((DataProducer)state!).OnReactor(() => ((DataProducer)state!).Finish(task)),
                this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return _done;
    }

    private void Finish(Task writing)
    {
        if (!_stopped)
        {
            _transport.UnregisterProducer();
        }
        if (writing.Exception is { } error)
        {
            _done.Errback(error.InnerException ?? error);
        }
        else if (_stopped)
        {
            _done.Errback(new IOException("The connection was lost while the message was being written"));
        }
        else
        {
            _data.Finish();
            _done.Callback(true);
        }
    }

    private void OnReactor(Action action)
    {
        if (_threads is { IsReactorThread: false } threads)
        {
            threads.CallFromThread(action);
        }
        else
        {
            action();
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return ValueTask.FromException(new IOException("The connection was lost while the message was being written"));
        }
        if (_threads is { IsReactorThread: false } threads)
        {
            // Not on the reactor (MimeKit resumed on a pool thread after a file read): write there, and complete on the
            // reactor thread so that MimeKit carries on there.
            var moved = new TaskCompletionSource();
            threads.CallFromThread(() =>
            {
                if (_stopped)
                {
                    moved.TrySetException(new IOException("The connection was lost while the message was being written"));
                    return;
                }
                _data.Write(buffer.Span);
                if (_paused)
                {
                    _waiting = moved;
                }
                else
                {
                    moved.TrySetResult();
                }
            });
            return new ValueTask(moved.Task);
        }
        _data.Write(buffer.Span);
        if (!_paused)
        {
            return default;
        }
        // The transport paused us inside that write: MimeKit waits for ResumeProducing.
        _waiting = new TaskCompletionSource();
        return new ValueTask(_waiting.Task);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>A synchronous write cannot wait: written at once (MimeKit's asynchronous writer does not use it).</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!_stopped)
        {
            _data.Write(buffer);
        }
    }

    public void PauseProducing() => _paused = true;

    public void ResumeProducing()
    {
        _paused = false;
        _progress();
        var waiting = _waiting;
        _waiting = null;
        // Continues MimeKit here, on the reactor thread, until the transport pauses it again.
        waiting?.TrySetResult();
    }

    public void StopProducing()
    {
        _stopped = true;
        var waiting = _waiting;
        _waiting = null;
        waiting?.TrySetException(new IOException("The connection was lost while the message was being written"));
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
