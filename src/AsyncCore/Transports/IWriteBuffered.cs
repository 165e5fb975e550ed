namespace AsyncCore.Transports;

/// <summary>
/// The write buffer of a socket transport: how much is waiting, and the water marks that pause and resume a registered
/// streaming producer (cast a transport to it to tune them).
/// </summary>
public interface IWriteBuffered
{
    /// <summary>The bytes written and not yet taken by the kernel.</summary>
    long BufferedBytes { get; }

    /// <summary>Above this many buffered bytes a streaming producer is paused (64 KiB, as Twisted's <c>bufferSize</c>).</summary>
    int HighWaterMark { get; set; }

    /// <summary>At or below this many buffered bytes a paused producer is resumed (0: once everything is sent).</summary>
    int LowWaterMark { get; set; }
}
