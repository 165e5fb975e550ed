namespace AsyncCore.WebSockets;

/// <summary>The opening handshake failed on the client: the server refused, or its answer broke RFC 6455.</summary>
public sealed class WebSocketHandshakeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WebSocketHandshakeException() : base("The WebSocket opening handshake failed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public WebSocketHandshakeException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public WebSocketHandshakeException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with the server's HTTP status.</summary>
    public WebSocketHandshakeException(int statusCode, string message) : base(message)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status of the server's answer when it was not 101, else null.</summary>
    public int? StatusCode { get; }
}
