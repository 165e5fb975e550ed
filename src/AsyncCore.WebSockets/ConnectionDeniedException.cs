namespace AsyncCore.WebSockets;

/// <summary>
/// Thrown from <see cref="WebSocketServerProtocol.OnConnect"/> to refuse the connection with an HTTP status (Autobahn's
/// <c>ConnectionDeny</c>); the client gets that status and the reason as the body.
/// </summary>
public sealed class ConnectionDeniedException : Exception
{
    /// <summary>Refuses with 403 Forbidden.</summary>
    public ConnectionDeniedException() : this(403, "Forbidden")
    {
    }

    /// <summary>Refuses with 403 Forbidden and <paramref name="message"/>.</summary>
    public ConnectionDeniedException(string message) : this(403, message)
    {
    }

    /// <summary>Refuses with 403 Forbidden.</summary>
    public ConnectionDeniedException(string message, Exception innerException) : base(message, innerException)
    {
        Code = 403;
    }

    /// <summary>Refuses with <paramref name="code"/> (a 4xx or 5xx status) and <paramref name="reason"/>.</summary>
    public ConnectionDeniedException(int code, string reason) : base(reason)
    {
        if (code is < 400 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "A refusal is a 4xx or 5xx status.");
        }
        Code = code;
    }

    /// <summary>The HTTP status sent.</summary>
    public int Code { get; }
}
