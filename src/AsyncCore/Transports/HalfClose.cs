using AsyncCore.Protocols;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Transports;

/// <summary>What a stream transport does when the peer ends its side of the connection (Twisted's <c>readConnectionLost</c>).</summary>
internal static class HalfClose
{
    /// <summary>
    /// A read returned end of stream. A half-closeable protocol hears <c>ReadConnectionLost</c> and keeps writing (unless
    /// this side already shut down writing: then both directions are done and the connection closes cleanly); any other
    /// protocol gets <c>LoseConnection</c>, which sends what is buffered and then closes cleanly.
    /// </summary>
    /// <remarks>Generic over the transport so that the calls bind to the sealed transport's own methods.</remarks>
    public static void ReadEnded<TTransport>(TTransport transport, IProtocol protocol, bool writeShutDown, ILogger logger)
        where TTransport : ITransport, IStreamConnection
    {
        if (protocol is IHalfCloseableProtocol halfCloseable && !writeShutDown)
        {
            try
            {
                halfCloseable.ReadConnectionLost();
            }
            catch (Exception e)
            {
                logger.LogError(e, "ReadConnectionLost of {Protocol} failed", protocol.GetType().Name);
                transport.CloseNow(new Failure(e));
            }
            return;
        }
        if (writeShutDown)
        {
            // Both directions are finished: a clean close.
            transport.CloseNow(new Failure(new ConnectionDoneException()));
            return;
        }
        transport.LoseConnection();
    }
}
