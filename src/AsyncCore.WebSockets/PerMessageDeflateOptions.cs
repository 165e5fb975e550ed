using System.IO.Compression;

namespace AsyncCore.WebSockets;

/// <summary>
/// permessage-deflate (RFC 7692) settings. A server accepts the first offer it can honour; a client offers one
/// extension with these parameters. Compression uses the runtime's zlib (<see cref="DeflateStream"/>).
/// </summary>
/// <remarks>
/// <see cref="DeflateStream"/> always compresses with a 32 KiB window (15 bits) and cannot be asked for less. Inflating
/// works with any window the peer used, but this endpoint cannot promise to compress with a smaller one: a server
/// declines an offer with <c>server_max_window_bits</c> under 15, and a client never offers
/// <c>client_max_window_bits</c> (so the server may not impose it).
/// </remarks>
public sealed class PerMessageDeflateOptions
{
    /// <summary>Ask (client) or insist (server) that the server compress each message on its own (<c>server_no_context_takeover</c>).</summary>
    public bool ServerNoContextTakeover { get; init; }

    /// <summary>Declare (client) or ask (server) that the client compress each message on its own (<c>client_no_context_takeover</c>).</summary>
    public bool ClientNoContextTakeover { get; init; }

    /// <summary>Client only: ask the server to compress with at most this many window bits (8-15; null: not asked).</summary>
    public int? ServerMaxWindowBits { get; init; }

    /// <summary>The compression level of outgoing messages.</summary>
    public CompressionLevel CompressionLevel { get; init; } = CompressionLevel.Fastest;

    /// <summary>Messages shorter than this go uncompressed (RSV1 clear); RFC 7692 lets the sender choose per message.</summary>
    public int MinimumSize { get; init; }
}
