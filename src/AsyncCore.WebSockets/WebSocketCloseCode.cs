namespace AsyncCore.WebSockets;

/// <summary>The close status codes of RFC 6455 7.4.1, and which codes may travel in a close frame.</summary>
public static class WebSocketCloseCode
{
    /// <summary>1000: the purpose of the connection was fulfilled.</summary>
    public const int Normal = 1000;

    /// <summary>1001: the endpoint is going away (server shutdown, page navigated away).</summary>
    public const int GoingAway = 1001;

    /// <summary>1002: the peer broke the protocol.</summary>
    public const int ProtocolError = 1002;

    /// <summary>1003: a kind of data the endpoint cannot accept (for example binary to a text-only endpoint).</summary>
    public const int UnsupportedData = 1003;

    /// <summary>1005: reported (never sent) when a close frame carried no code.</summary>
    public const int NoStatus = 1005;

    /// <summary>1006: reported (never sent) when the connection ended without a close handshake.</summary>
    public const int Abnormal = 1006;

    /// <summary>1007: a text message (or close reason) was not valid UTF-8.</summary>
    public const int InvalidPayload = 1007;

    /// <summary>1008: a message broke the endpoint's policy.</summary>
    public const int PolicyViolation = 1008;

    /// <summary>1009: a frame or message was larger than the endpoint accepts.</summary>
    public const int MessageTooBig = 1009;

    /// <summary>1010: the client needed an extension the server did not negotiate.</summary>
    public const int MandatoryExtension = 1010;

    /// <summary>1011: the server met an unexpected condition.</summary>
    public const int InternalError = 1011;

    /// <summary>
    /// True for a code that may appear in a received close frame: 1000-1003, 1007-1011 and the registered and private
    /// range 3000-4999 (the Autobahn testsuite's cases 7.7 and 7.9). Anything else fails the connection with 1002.
    /// </summary>
    public static bool IsValidOnWire(int code) => code is >= 1000 and <= 1003 or >= 1007 and <= 1011 or >= 3000 and <= 4999;

    /// <summary>True for a code an application may send with <see cref="WebSocketProtocol.SendClose"/>: 1000 or 3000-4999.</summary>
    public static bool IsValidForApplication(int code) => code is Normal or >= 3000 and <= 4999;
}
