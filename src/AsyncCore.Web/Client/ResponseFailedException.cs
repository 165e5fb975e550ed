namespace AsyncCore.Web.Client;

/// <summary>
/// The response did not arrive whole (Twisted's <c>ResponseFailed</c>): the connection closed or timed out before the
/// end of its headers or body, or the server sent something that is not HTTP/1.1. The cause is the
/// <see cref="Exception.InnerException"/> when there is one (a <see cref="Protocols.ConnectionLostException"/>, a
/// <see cref="TimeoutException"/>).
/// </summary>
public class ResponseFailedException : IOException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ResponseFailedException() : base("The HTTP response failed.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ResponseFailedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ResponseFailedException(string message, Exception innerException) : base(message, innerException) { }
}
