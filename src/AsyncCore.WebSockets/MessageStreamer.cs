using AsyncCore.Protocols;

namespace AsyncCore.WebSockets;

/// <summary>
/// Sends one message read from a stream as frames, as a push producer of the connection's transport: the transport
/// pauses it while its write buffer is over the high-water mark (a slow peer) and resumes it once the buffer drains, so
/// at most about one frame beyond the mark is ever buffered, however large the message.
/// </summary>
internal sealed class MessageStreamer(WebSocketProtocol protocol, Stream source, int frameSize) : IPushProducer
{
    private readonly byte[] _buffer = new byte[frameSize];
    private bool _paused;
    private bool _producing;
    private bool _done;

    /// <summary>Fires once the last frame was handed to the transport; fails when the connection goes first.</summary>
    public Deferred<bool> Done { get; } = new();

    public void PauseProducing() => _paused = true;

    public void ResumeProducing()
    {
        _paused = false;
        Produce();
    }

    public void StopProducing() => Finish(new ConnectionLostException("The connection was lost before the whole message was sent."));

    /// <summary>The connection is closing (a close frame went out): the rest of the message will never be sent.</summary>
    public void Abandon() => Finish(new ConnectionLostException("The connection closed before the whole message was sent."));

    /// <summary>Writes frames until the transport pauses it or the stream ends.</summary>
    public void Produce()
    {
        // A frame written below can pause and, in memory, resume this producer from inside the write: the loop is not re-entered.
        if (_producing)
        {
            return;
        }
        _producing = true;
        try
        {
            while (!_paused && !_done)
            {
                if (!protocol.CanStream)
                {
                    Finish(new ConnectionLostException("The connection closed before the whole message was sent."));
                    return;
                }
                int read;
                try
                {
                    read = source.Read(_buffer);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
                {
                    // The message cannot be completed: fail the connection, as a half-sent message cannot be taken back.
                    protocol.AbortStreamedMessage("the message source failed: " + e.Message);
                    Finish(e);
                    return;
                }
                if (read == 0)
                {
                    protocol.EndMessage();
                    Finish(null);
                    return;
                }
                protocol.SendMessageFrame(_buffer.AsSpan(0, read));
            }
        }
        finally
        {
            _producing = false;
        }
    }

    private void Finish(Exception? error)
    {
        if (_done)
        {
            return;
        }
        _done = true;
        protocol.StreamerFinished(this);
        if (error is null)
        {
            Done.Callback(true);
        }
        else
        {
            Done.Errback(error);
        }
    }
}
