namespace AsyncCore.Protocols;

/// <summary>A sink for bytes that producers can throttle against (Twisted's <c>IConsumer</c>).</summary>
public interface IConsumer
{
    /// <summary>
    /// Queues <paramref name="data"/> for sending; the bytes are copied, so the caller may reuse its buffer at once. Writes
    /// after the connection (or its write side) is closed are silently dropped, as in Twisted.
    /// </summary>
    void Write(ReadOnlySpan<byte> data);

    /// <summary>
    /// Registers the producer that feeds this consumer. A <paramref name="streaming"/> (push) producer must implement
    /// <see cref="IPushProducer"/> and is paused and resumed with the write buffer; a pull producer must implement
    /// <see cref="IPullProducer"/> and is asked for data at once and each time the buffer drains.
    /// </summary>
    /// <exception cref="InvalidOperationException">A producer is already registered.</exception>
    void RegisterProducer(IProducer producer, bool streaming);

    /// <summary>Removes the registered producer (a no-op when none is registered).</summary>
    void UnregisterProducer();
}
