namespace AsyncCore.Web;

/// <summary>The limits every connection of a <see cref="Site"/> enforces; a request over one is refused with a 4xx
/// answer and the connection is closed. The timeouts run on the <see cref="Site.Clock"/>, or on the reactor that accepted
/// the connection when the site has none.</summary>
public sealed class WebServerOptions
{
    /// <summary>The longest request line in bytes (method, target, version); over it: 414 URI Too Long.</summary>
    public int MaxRequestLineLength { get; init; } = 8 * 1024;

    /// <summary>The most bytes of header fields of one request; over it: 431.</summary>
    public int MaxHeaderBytes { get; init; } = 32 * 1024;

    /// <summary>The most header fields of one request; over it: 431.</summary>
    public int MaxHeaderCount { get; init; } = 100;

    /// <summary>The largest request body in bytes (declared or chunked); over it: 413 Content Too Large.</summary>
    public long MaxBodySize { get; init; } = 10 * 1024 * 1024;

    /// <summary>How many bytes of pipelined requests are buffered while a response is pending before the connection
    /// stops reading.</summary>
    public int MaxPipelineBuffer { get; init; } = 64 * 1024;

    /// <summary>
    /// How long a connection may wait for the first byte of its next request (after connecting or after a response),
    /// and how long a request body may go without a byte, before the connection is closed (an idle one silently, a
    /// body-reading one with 408 Request Timeout). Null: no limit. Two minutes by default (Kestrel's keep-alive
    /// timeout is 130 s; Twisted's <c>timeOut</c> 12 hours).
    /// </summary>
    public TimeSpan? IdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a request's line and header fields may take, from its first byte to the empty line that ends them;
    /// over it: 408 Request Timeout and the connection is closed. Bytes trickled in do not restart it, which is what
    /// stops a slowloris client holding connections open. Null: no limit. 30 seconds by default (as Kestrel's
    /// <c>RequestHeadersTimeout</c>).
    /// </summary>
    public TimeSpan? HeaderReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a response may wait in the connection's send buffer without the client taking any of it (the buffer
    /// neither empties nor shrinks over one period) before the connection is aborted: a client that stops reading while
    /// the server writes (a slow-read attack) cannot hold the connection and its buffered response forever. Checked
    /// while bytes are buffered, also after the response is finished. Null: no limit. 60 seconds by default (Kestrel's
    /// <c>MinResponseDataRate</c> allows 5 s grace and then 240 bytes/s).
    /// <para>Progress is seen as the transport's buffer shrinking, and the TCP transport hands its whole buffer to one
    /// send: a render that writes many megabytes at once shows no progress until they are all sent, so the period must
    /// then cover sending all of it to the slowest client wanted. Responses written under backpressure (a producer such
    /// as <see cref="StaticFile"/>'s <c>FileSender</c>) keep the buffer small and are measured finely.</para>
    /// </summary>
    public TimeSpan? WriteTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
