namespace AsyncCore.Protocols;

/// <summary>
/// A protocol that parses a byte stream into messages and can be paused as a push producer: while paused it buffers what
/// arrives and delivers nothing, and resuming delivers what was buffered (Twisted's <c>_PauseableMixin</c>, shared by
/// <see cref="LineReceiver"/> and <see cref="IntNStringReceiver"/>).
/// </summary>
public abstract class PausableProtocol : BufferedProtocol, IPushProducer
{
    /// <summary>True while delivery is paused.</summary>
    public bool Paused { get; private protected set; }

    /// <summary>Stops delivering messages and pauses the transport.</summary>
    public virtual void PauseProducing()
    {
        Paused = true;
        TransportOrNull?.PauseProducing();
    }

    /// <summary>Resumes the transport and delivers what is buffered.</summary>
    public virtual void ResumeProducing()
    {
        Paused = false;
        TransportOrNull?.ResumeProducing();
        DataReceived([]);
    }

    /// <summary>Stops delivering and stops the transport.</summary>
    public virtual void StopProducing()
    {
        Paused = true;
        TransportOrNull?.StopProducing();
    }
}
