namespace AsyncCore.Enterprise;

/// <summary>
/// The connection a call ran on was lost (the server went away, restarted, or killed the session). The driver's error is
/// the <see cref="Exception.InnerException"/>. The connection was discarded; the next call opens a fresh one. Raised only
/// when <see cref="ConnectionPoolOptions.Reconnect"/> is on.
/// </summary>
public sealed class ConnectionLostException : Exception
{
    /// <summary>Creates the exception with the default message.</summary>
    public ConnectionLostException() : base("The database connection was lost.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ConnectionLostException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping the driver's error.</summary>
    public ConnectionLostException(string message, Exception innerException) : base(message, innerException) { }
}

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
