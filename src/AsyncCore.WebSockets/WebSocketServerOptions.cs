namespace AsyncCore.WebSockets;

/// <summary>A server's settings (Autobahn's <c>WebSocketServerFactory</c> options).</summary>
public sealed class WebSocketServerOptions : WebSocketOptions
{
    /// <summary>
    /// The subprotocols the server speaks, in its order of preference. By default <see cref="WebSocketServerProtocol.OnConnect"/>
    /// picks the first one the client offers that is in this list (Autobahn's rule).
    /// </summary>
    public IReadOnlyList<string> Protocols { get; init; } = [];

    /// <summary>
    /// The <c>Origin</c> values allowed, matched without case; <c>*</c> matches any run of characters (<c>https://*.example.com</c>).
    /// The default <c>*</c> allows every origin. A request without <c>Origin</c> (not from a browser) is always allowed.
    /// A refused origin is answered 403.
    /// </summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = ["*"];

    /// <summary>Allow the origin <c>null</c> (sandboxed pages, <c>file:</c> URLs) even when <see cref="AllowedOrigins"/> has no <c>*</c>.</summary>
    public bool AllowNullOrigin { get; init; } = true;

    /// <summary>Refuse unmasked client frames with 1002 (RFC 6455 5.1). Turn off only for testing.</summary>
    public bool RequireMaskedClientFrames { get; init; } = true;
}
