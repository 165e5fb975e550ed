using AsyncCore.Protocols;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Transports;

/// <summary>
/// The producer registered on a socket transport and the water marks that throttle it (the producer bookkeeping of Twisted's
/// <c>abstract.FileDescriptor</c>): a streaming (push) producer is paused once the write buffer holds more than
/// <see cref="HighWaterMark"/> bytes and resumed when it falls to <see cref="LowWaterMark"/>; a pull producer is asked for
/// more each time the buffer is empty.
/// </summary>
/// <remarks>
/// Each transport owns one and keeps its own sending strategy: it reports its buffered byte count, this class decides
/// whether the producer must be paused, resumed or asked. Sealed and non-virtual so that the per-write check is a plain
/// call the JIT can inline.
/// </remarks>
internal sealed class ProducerFlow
{
    /// <summary>The buffered bytes above which a streaming producer is paused (64 KiB, as Twisted's <c>bufferSize</c>).</summary>
    public int HighWaterMark { get; set; } = 64 * 1024;

    /// <summary>The buffered bytes at or below which a paused producer is resumed (0: once everything is sent).</summary>
    public int LowWaterMark { get; set; }

    /// <summary>The registered producer, or null.</summary>
    public IProducer? Producer { get; private set; }

    /// <summary>Whether the registered producer is a push producer (Twisted's <c>streamingProducer</c>).</summary>
    public bool Streaming { get; private set; }

    /// <summary>Whether this flow paused the registered push producer (Twisted's <c>producerPaused</c>).</summary>
    public bool Paused { get; private set; }

    /// <summary>
    /// A producer that writes nothing until the transport asks is registered: a pull producer, or a push producer paused
    /// for backpressure. Twisted waits for it (to unregister, or to be resumed) before finishing a close.
    /// </summary>
    public bool IsWaiting => Producer is not null && (!Streaming || Paused);

    /// <summary>A pull producer is registered.</summary>
    public bool HasPullProducer => Producer is not null && !Streaming;

    /// <summary>
    /// Registers a producer (Twisted's <c>registerProducer</c>): a pull producer is asked for data at once, a push producer
    /// is paused at once when <paramref name="bufferedBytes"/> is already above the high-water mark. On a closed transport
    /// the producer is stopped instead.
    /// </summary>
    public void Register(IProducer producer, bool streaming, long bufferedBytes, bool closed)
    {
        ArgumentNullException.ThrowIfNull(producer);
        if (Producer is not null)
        {
            throw new InvalidOperationException($"Cannot register producer {producer}, because {Producer} is already registered.");
        }
        if (closed)
        {
            producer.StopProducing();
            return;
        }
        if (streaming ? producer is not IPushProducer : producer is not IPullProducer)
        {
            throw new ArgumentException(streaming ? "A streaming producer must implement IPushProducer." : "A pull producer must implement IPullProducer.", nameof(producer));
        }
        Producer = producer;
        Streaming = streaming;
        Paused = false;
        if (!streaming)
        {
            ((IPullProducer)producer).ResumeProducing();
        }
        else if (bufferedBytes > HighWaterMark)
        {
            Paused = true;
            ((IPushProducer)producer).PauseProducing();
        }
    }

    /// <summary>Forgets the producer (Twisted's <c>unregisterProducer</c>); the transport then finishes any pending close.</summary>
    public void Unregister() => Producer = null;

    /// <summary>After a write: pauses a running push producer once the buffer holds more than the high-water mark.</summary>
    public void PauseIfAbove(long bufferedBytes)
    {
        // The null test first: with no producer (the common case) a write pays one field load and one branch here.
        if (Producer is not null && Streaming && !Paused && bufferedBytes > HighWaterMark)
        {
            Paused = true;
            ((IPushProducer)Producer).PauseProducing();
        }
    }

    /// <summary>After a send: resumes a push producer this flow paused, once the buffer is down to the low-water mark.</summary>
    public void ResumeIfBelow(long bufferedBytes)
    {
        if (Producer is not null && Streaming && Paused && bufferedBytes <= LowWaterMark)
        {
            Paused = false;
            ((IPushProducer)Producer).ResumeProducing();
        }
    }

    /// <summary>
    /// The buffer is empty: asks a pull producer for its next chunk, or resumes a paused push producer (Twisted's
    /// <c>doWrite</c> once everything is sent). A running push producer is left alone.
    /// </summary>
    public void AskForMore()
    {
        if (Producer is null)
        {
            return;
        }
        if (!Streaming)
        {
            ((IPullProducer)Producer).ResumeProducing();
        }
        else if (Paused)
        {
            Paused = false;
            ((IPushProducer)Producer).ResumeProducing();
        }
    }

    /// <summary>
    /// The connection is lost: forgets the producer and stops it (Twisted's <c>connectionLost</c> stops the producer). An
    /// exception from it is logged, so that the protocol still hears of the loss.
    /// </summary>
    public void Stop(ILogger logger)
    {
        var producer = Producer;
        Producer = null;
        try
        {
            producer?.StopProducing();
        }
        catch (Exception e)
        {
            logger.LogError(e, "StopProducing of {Producer} failed", producer!.GetType().Name);
        }
    }
}
