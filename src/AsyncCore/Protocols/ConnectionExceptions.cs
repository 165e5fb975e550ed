using System.Net;

namespace AsyncCore.Protocols;

// The connection errors of twisted.internet.error, with .NET names. They are grouped in one file because they form one
// small hierarchy that is read together.

/// <summary>The base of the reasons a connection ended; see <see cref="IProtocol.ConnectionLost"/>.</summary>
public class ConnectionClosedException : IOException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ConnectionClosedException() : base("The connection was closed.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ConnectionClosedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ConnectionClosedException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The connection was closed cleanly (Twisted's <c>ConnectionDone</c>).</summary>
public class ConnectionDoneException : ConnectionClosedException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ConnectionDoneException() : base("Connection was closed cleanly.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ConnectionDoneException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ConnectionDoneException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The connection was lost in a non-clean way (Twisted's <c>ConnectionLost</c>): reset, error, shutdown.</summary>
public class ConnectionLostException : ConnectionClosedException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ConnectionLostException() : base("Connection to the other side was lost in a non-clean fashion.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ConnectionLostException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ConnectionLostException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The connection was aborted locally with <see cref="ITransport.AbortConnection"/> (Twisted's <c>ConnectionAborted</c>).</summary>
public class ConnectionAbortedException : ConnectionLostException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ConnectionAbortedException() : base("Connection was aborted locally.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ConnectionAbortedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ConnectionAbortedException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A connection attempt failed (Twisted's <c>ConnectError</c>).</summary>
public class ConnectException : IOException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ConnectException() : base("An error occurred while connecting.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ConnectException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ConnectException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The peer refused the connection (Twisted's <c>ConnectionRefusedError</c>).</summary>
public class ConnectionRefusedException : ConnectException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ConnectionRefusedException() : base("Connection was refused by other side.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ConnectionRefusedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ConnectionRefusedException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The connection attempt did not complete within its timeout (Twisted's <c>TimeoutError</c>).</summary>
public class ConnectTimeoutException : ConnectException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ConnectTimeoutException() : base("User timeout caused connection failure.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ConnectTimeoutException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ConnectTimeoutException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A host name could not be resolved (Twisted's <c>DNSLookupError</c>).</summary>
public class DnsLookupException : ConnectException
{
    /// <summary>Creates the exception with the default message.</summary>
    public DnsLookupException() : base("DNS lookup failed.") { }

    /// <summary>Creates the exception with a message.</summary>
    public DnsLookupException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public DnsLookupException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The factory refused to build a protocol (Twisted's <c>NoProtocol</c>).</summary>
public class NoProtocolException : ConnectException
{
    /// <summary>Creates the exception with the default message.</summary>
    public NoProtocolException() : base("The factory's BuildProtocol returned null.") { }

    /// <summary>Creates the exception with a message.</summary>
    public NoProtocolException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public NoProtocolException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A connection attempt was cancelled (Twisted's <c>ConnectingCancelledError</c>).</summary>
public class ConnectingCancelledException : CancelledException
{
    /// <summary>Creates the exception for an attempt to <paramref name="address"/>.</summary>
    public ConnectingCancelledException(EndPoint? address) : base($"Connecting to {address} was cancelled.")
    {
        Address = address;
    }

    /// <summary>Creates the exception with the default message.</summary>
    public ConnectingCancelledException() : base("Connecting was cancelled.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ConnectingCancelledException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ConnectingCancelledException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The address being connected to, when known.</summary>
    public EndPoint? Address { get; }
}

/// <summary>A port could not be bound (Twisted's <c>CannotListenError</c>).</summary>
public class CannotListenException : IOException
{
    /// <summary>Creates the exception for <paramref name="address"/>, caused by <paramref name="innerException"/>.</summary>
    public CannotListenException(EndPoint? address, Exception innerException)
        : base($"Couldn't listen on {address}: {innerException?.Message}", innerException)
    {
        Address = address;
    }

    /// <summary>Creates the exception with the default message.</summary>
    public CannotListenException() : base("Couldn't listen.") { }

    /// <summary>Creates the exception with a message.</summary>
    public CannotListenException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public CannotListenException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The address that could not be bound.</summary>
    public EndPoint? Address { get; }
}

/// <summary><see cref="IConnector.StopConnecting"/> was called on a connector that is not connecting.</summary>
public class NotConnectingException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public NotConnectingException() : base("The connector is not connecting.") { }

    /// <summary>Creates the exception with a message.</summary>
    public NotConnectingException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public NotConnectingException(string message, Exception innerException) : base(message, innerException) { }
}
