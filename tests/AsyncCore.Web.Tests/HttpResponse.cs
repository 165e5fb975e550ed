using System.Globalization;
using System.Text;

namespace AsyncCore.Web.Tests;

/// <summary>A response parsed back from the bytes a server wrote, for assertions.</summary>
internal sealed record HttpResponse(string Version, int Code, Dictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>Parses every response in <paramref name="bytes"/>; HEAD responses are named by index in
    /// <paramref name="heads"/> (they have headers and no body).</summary>
    public static List<HttpResponse> ParseAll(byte[] bytes, params int[] heads)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var responses = new List<HttpResponse>();
        var at = 0;
        while (at < text.Length)
        {
            var headEnd = text.IndexOf("\r\n\r\n", at, StringComparison.Ordinal);
            Assert.True(headEnd >= 0, "unterminated head: " + text[at..]);
            var lines = text[at..headEnd].Split("\r\n");
            var status = lines[0].Split(' ', 3);
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                headers[line[..colon]] = line[(colon + 1)..].Trim();
            }
            at = headEnd + 4;
            var body = new StringBuilder();
            if (heads.Contains(responses.Count) || status[1] is "204" or "304" or "100")
            {
            }
            else if (headers.TryGetValue("Content-Length", out var length))
            {
                var n = int.Parse(length, CultureInfo.InvariantCulture);
                body.Append(text.AsSpan(at, n));
                at += n;
            }
            else if (headers.TryGetValue("Transfer-Encoding", out var coding) && coding == "chunked")
            {
                while (true)
                {
                    var lineEnd = text.IndexOf("\r\n", at, StringComparison.Ordinal);
                    var size = int.Parse(text[at..lineEnd], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    at = lineEnd + 2;
                    if (size == 0)
                    {
                        Assert.Equal("\r\n", text.Substring(at, 2));
                        at += 2;
                        break;
                    }
                    body.Append(text.AsSpan(at, size));
                    at += size + 2;
                }
            }
            else
            {
                body.Append(text.AsSpan(at));
                at = text.Length;
            }
            responses.Add(new HttpResponse(status[0], int.Parse(status[1], CultureInfo.InvariantCulture), headers, body.ToString()));
        }
        return responses;
    }
}
