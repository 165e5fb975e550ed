namespace AsyncCore.Enterprise;

// A lost database connection is reported with the core's AsyncCore.Protocols.ConnectionLostException (one type for
// "the other side went away", whether a socket or a database session), wrapping the driver's error.

/// <summary>A call was made on a <see cref="ConnectionPool"/> that is closed or closing.</summary>
public sealed class ConnectionPoolClosedException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ConnectionPoolClosedException() : base("The connection pool is closed.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ConnectionPoolClosedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ConnectionPoolClosedException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>More calls wait for a connection than <see cref="ConnectionPoolOptions.QueueLimit"/> allows.</summary>
public sealed class ConnectionPoolQueueFullException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ConnectionPoolQueueFullException() : base("The connection pool's queue is full.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ConnectionPoolQueueFullException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ConnectionPoolQueueFullException(string message, Exception innerException) : base(message, innerException) { }
}
