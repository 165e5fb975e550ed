using System.IO.Compression;

namespace AsyncCore.WebSockets;

/// <summary>
/// A negotiated permessage-deflate (RFC 7692): the offer and answer rules, and the compressor and decompressor of one
/// connection. The deflate itself is the runtime's zlib through <see cref="DeflateStream"/> (raw deflate): a message
/// is written and sync-flushed, and the flush's trailing <c>00 00 FF FF</c> is stripped; the receiver appends it back.
/// </summary>
internal sealed class PerMessageDeflate : IDisposable
{
    public const string Name = "permessage-deflate";
    private static readonly byte[] s_tail = [0x00, 0x00, 0xFF, 0xFF];

    private readonly bool _isServer;
    private readonly CompressionLevel _level;
    private readonly MemoryStream _compressed = new();
    private readonly InflateInput _input = new();
    private DeflateStream? _deflater;
    private DeflateStream? _inflater;
    private bool _tailHeld;

    private PerMessageDeflate(bool isServer, bool serverNoContextTakeover, bool clientNoContextTakeover, PerMessageDeflateOptions options)
    {
        _isServer = isServer;
        ServerNoContextTakeover = serverNoContextTakeover;
        ClientNoContextTakeover = clientNoContextTakeover;
        _level = options.CompressionLevel;
        MinimumSize = options.MinimumSize;
    }

    public bool ServerNoContextTakeover { get; }

    public bool ClientNoContextTakeover { get; }

    public int MinimumSize { get; }

    private bool OutgoingNoContextTakeover => _isServer ? ServerNoContextTakeover : ClientNoContextTakeover;

    /// <summary>
    /// Server side: accepts the first offer this endpoint can honour and returns its answer, or null (every offer
    /// declined: the connection goes on uncompressed).
    /// </summary>
    public static PerMessageDeflate? Accept(IEnumerable<ExtensionOffer> offers, PerMessageDeflateOptions options, out string? answer)
    {
        foreach (var offer in offers.Where(o => o.Name == Name))
        {
            var serverNoContext = options.ServerNoContextTakeover;
            var clientNoContext = options.ClientNoContextTakeover;
            var answerWindow = false;
            var acceptable = true;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, value) in offer.Parameters)
            {
                if (!seen.Add(key))
                {
                    acceptable = false;
                    break;
                }
                switch (key)
                {
                    case "server_no_context_takeover" when value is null:
                        serverNoContext = true;
                        break;
                    case "client_no_context_takeover" when value is null:
                        break; // The client's hint; the answer asks for it only when the options do.
                    case "server_max_window_bits":
                        // The runtime's deflate cannot compress with a smaller window than 15: decline smaller ones.
                        acceptable = ExtensionOffer.WindowBits(value) == 15;
                        answerWindow = true;
                        break;
                    case "client_max_window_bits":
                        // The client may limit its own window; inflating takes any window, so nothing to answer.
                        acceptable = value is null || ExtensionOffer.WindowBits(value) is not null;
                        break;
                    default:
                        acceptable = false;
                        break;
                }
                if (!acceptable)
                {
                    break;
                }
            }
            if (!acceptable)
            {
                continue;
            }
            var parts = new List<string> { Name };
            if (serverNoContext)
            {
                parts.Add("server_no_context_takeover");
            }
            if (clientNoContext)
            {
                parts.Add("client_no_context_takeover");
            }
            if (answerWindow)
            {
                parts.Add("server_max_window_bits=15");
            }
            answer = string.Join("; ", parts);
            return new PerMessageDeflate(isServer: true, serverNoContext, clientNoContext, options);
        }
        answer = null;
        return null;
    }

    /// <summary>Client side: the offer to send.</summary>
    public static string Offer(PerMessageDeflateOptions options)
    {
        var parts = new List<string> { Name };
        if (options.ServerNoContextTakeover)
        {
            parts.Add("server_no_context_takeover");
        }
        if (options.ClientNoContextTakeover)
        {
            parts.Add("client_no_context_takeover");
        }
        if (options.ServerMaxWindowBits is { } bits)
        {
            parts.Add("server_max_window_bits=" + bits.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return string.Join("; ", parts);
    }

    /// <summary>Client side: checks the server's answer against the offer; null with an error when it breaks RFC 7692.</summary>
    public static PerMessageDeflate? FromAnswer(ExtensionOffer answer, PerMessageDeflateOptions options, out string? error)
    {
        var serverNoContext = false;
        var clientNoContext = options.ClientNoContextTakeover;
        int? serverBits = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in answer.Parameters)
        {
            if (!seen.Add(key))
            {
                error = $"the server repeated the permessage-deflate parameter {key}";
                return null;
            }
            switch (key)
            {
                case "server_no_context_takeover" when value is null:
                    serverNoContext = true;
                    break;
                case "client_no_context_takeover" when value is null:
                    clientNoContext = true;
                    break;
                case "server_max_window_bits" when ExtensionOffer.WindowBits(value) is { } bits:
                    serverBits = bits;
                    break;
                case "client_max_window_bits" when ExtensionOffer.WindowBits(value) == 15:
                    break; // Not offered, but 15 is what this endpoint uses anyway.
                default:
                    error = $"the server answered permessage-deflate with '{key}{(value is null ? "" : "=" + value)}', which was not offered or cannot be honoured";
                    return null;
            }
        }
        if (options.ServerNoContextTakeover && !serverNoContext)
        {
            error = "the server did not confirm server_no_context_takeover";
            return null;
        }
        if (options.ServerMaxWindowBits is { } asked && (serverBits is null || serverBits > asked))
        {
            error = "the server did not confirm server_max_window_bits";
            return null;
        }
        error = null;
        return new PerMessageDeflate(isServer: false, serverNoContext, clientNoContext, options);
    }

    /// <summary>Compresses one whole message (the trailing <c>00 00 FF FF</c> stripped).</summary>
    public byte[] Compress(ReadOnlySpan<byte> payload)
    {
        var output = CompressPart(payload);
        var last = FinishMessage();
        return last.Length == 0 ? output : last;
    }

    /// <summary>
    /// Compresses one part of a streamed message, sync-flushed so that it can go out as a frame at once. Each flush ends
    /// with <c>00 00 FF FF</c>, which only the message's end may drop: it is held back and sent in front of the next
    /// part, so <see cref="FinishMessage"/> can leave it out.
    /// </summary>
    public byte[] CompressPart(ReadOnlySpan<byte> payload)
    {
        _deflater ??= new DeflateStream(_compressed, _level, leaveOpen: true);
        _deflater.Write(payload);
        _deflater.Flush();
        var length = (int)_compressed.Length;
        if (length < 4)
        {
            _compressed.SetLength(0);
            return []; // Nothing was written since the last flush.
        }
        var held = _tailHeld ? 4 : 0;
        var output = new byte[held + length - 4];
        s_tail.AsSpan(0, held).CopyTo(output);
        _compressed.GetBuffer().AsSpan(0, length - 4).CopyTo(output.AsSpan(held));
        _compressed.SetLength(0);
        _tailHeld = true;
        return output;
    }

    /// <summary>
    /// Ends the outgoing message: returns the last frame's payload, empty when a held tail is dropped, or the single
    /// <c>00</c> byte of RFC 7692 7.2.3.6 when nothing was compressed (an empty payload alone would not inflate).
    /// </summary>
    public byte[] FinishMessage()
    {
        byte[] last = _tailHeld ? [] : [0x00];
        _tailHeld = false;
        if (OutgoingNoContextTakeover)
        {
            _deflater?.Dispose();
            _deflater = null;
            _compressed.SetLength(0);
        }
        return last;
    }

    /// <summary>Feeds compressed bytes of the current incoming message; read the output with <see cref="Read"/>.</summary>
    public void Feed(ReadOnlySpan<byte> data)
    {
        _inflater ??= new DeflateStream(_input, CompressionMode.Decompress, leaveOpen: true);
        _input.Set(data);
    }

    /// <summary>Feeds the end of the incoming message (the stripped tail).</summary>
    public void FeedEnd() => Feed(s_tail);

    /// <summary>Inflates what was fed into <paramref name="buffer"/>; 0 once all of it is out.</summary>
    /// <exception cref="InvalidDataException">The compressed data is corrupt.</exception>
    public int Read(Span<byte> buffer) => _inflater is null ? 0 : _inflater.Read(buffer);

    /// <summary>After an incoming message: a peer that compresses each message on its own may be read with a fresh inflater.</summary>
    public void EndIncomingMessage()
    {
        var incomingNoContext = _isServer ? ClientNoContextTakeover : ServerNoContextTakeover;
        if (incomingNoContext)
        {
            _inflater?.Dispose();
            _inflater = null;
        }
    }

    public void Dispose()
    {
        _deflater?.Dispose();
        _inflater?.Dispose();
        _compressed.Dispose();
        _input.Dispose();
    }

    /// <summary>The inflater's source: the bytes fed last, then "no more for now" (0) until the next feed.</summary>
    private sealed class InflateInput : Stream
    {
        private byte[] _data = [];
        private int _position;
        private int _length;

        public void Set(ReadOnlySpan<byte> data)
        {
            // The inflater reads everything fed before more is fed; whatever is left is kept in front.
            var left = _length - _position;
            if (_data.Length < left + data.Length)
            {
                var bigger = new byte[Math.Max(left + data.Length, _data.Length * 2)];
                _data.AsSpan(_position, left).CopyTo(bigger);
                _data = bigger;
            }
            else
            {
                _data.AsSpan(_position, left).CopyTo(_data);
            }
            data.CopyTo(_data.AsSpan(left));
            _position = 0;
            _length = left + data.Length;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, _length - _position);
            _data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
