namespace AsyncCore.Web.Client;

/// <summary>
/// The connection ended before any byte of the response arrived (Twisted's <c>ResponseNeverReceived</c>). On a reused
/// keep-alive connection this is usually the server having closed it while idle; the pool then retries an idempotent
/// request once on a new connection (<see cref="HttpConnectionPool.RetryAutomatically"/>).
/// </summary>
public class ResponseNeverReceivedException : ResponseFailedException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ResponseNeverReceivedException() : base("The connection ended before any response arrived.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ResponseNeverReceivedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ResponseNeverReceivedException(string message, Exception innerException) : base(message, innerException) { }
}
