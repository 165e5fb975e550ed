namespace AsyncCore.Protocols;

/// <summary>A source of data written to an <see cref="IConsumer"/> (Twisted's <c>IProducer</c>).</summary>
public interface IProducer
{
    /// <summary>Stops producing for good; called when the consumer goes away (for example the connection is lost).</summary>
    void StopProducing();
}

/// <summary>
/// A producer that writes on its own until asked to pause (Twisted's <c>IPushProducer</c>, registered with
/// <c>streaming: true</c>). The consumer pauses it when its write buffer passes the high-water mark and resumes it when the
/// buffer drains.
/// </summary>
public interface IPushProducer : IProducer
{
    /// <summary>Stops writing until <see cref="ResumeProducing"/>.</summary>
    void PauseProducing();

    /// <summary>Starts writing again.</summary>
    void ResumeProducing();
}

/// <summary>
/// A producer that writes only when asked (Twisted's <c>IPullProducer</c>, registered with <c>streaming: false</c>): the
/// consumer calls <see cref="ResumeProducing"/> at registration and each time its buffer drains; each call should write
/// once.
/// </summary>
public interface IPullProducer : IProducer
{
    /// <summary>Produces one chunk of data (by writing it to the consumer).</summary>
    void ResumeProducing();
}
