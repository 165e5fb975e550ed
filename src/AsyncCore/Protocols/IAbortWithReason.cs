namespace AsyncCore.Protocols;

/// <summary>
/// A transport that can close at once with a reason of the protocol's choosing, which the protocol's
/// <see cref="IProtocol.ConnectionLost"/> then gets (what Twisted's transports do with a reason returned from
/// <c>dataReceived</c>). Used by <see cref="LineReceiver.StopParsing"/>; a transport without it is aborted instead.
/// </summary>
internal interface IAbortWithReason
{
    /// <summary>
    /// Drops buffered data and closes the connection (an orderly close, not a reset); <see cref="IProtocol.ConnectionLost"/>
    /// follows with <paramref name="reason"/>, never re-entrantly. Does nothing once the connection is closing.
    /// </summary>
    void AbortConnection(Exception reason);
}
