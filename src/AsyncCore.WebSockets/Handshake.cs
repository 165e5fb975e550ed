using System.Security.Cryptography;
using System.Text;

namespace AsyncCore.WebSockets;

/// <summary>The opening handshake's computations (RFC 6455 4).</summary>
internal static class Handshake
{
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The <c>Sec-WebSocket-Accept</c> answer to a <c>Sec-WebSocket-Key</c>.</summary>
    public static string Accept(string key) => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Guid)));

    /// <summary>A fresh client key: 16 random bytes, base64.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    /// <summary>True when <paramref name="key"/> is base64 of exactly 16 bytes.</summary>
    public static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[18];
        return key.Length == 24 && Convert.TryFromBase64String(key, decoded, out var written) && written == 16;
    }

    /// <summary>The comma-separated tokens of header values, trimmed.</summary>
    public static List<string> Tokens(IEnumerable<string> values) =>
        [.. values.SelectMany(v => v.Split(',')).Select(t => t.Trim()).Where(t => t.Length > 0)];

    public static bool HasToken(IEnumerable<string> values, string token) =>
        Tokens(values).Any(t => string.Equals(t, token, StringComparison.OrdinalIgnoreCase));
}
