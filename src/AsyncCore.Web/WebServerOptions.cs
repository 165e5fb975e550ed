namespace AsyncCore.Web;

/// <summary>The limits every connection of a <see cref="Site"/> enforces; a request over one is refused with a 4xx
/// answer and the connection is closed.</summary>
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
}
