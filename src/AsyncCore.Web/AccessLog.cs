using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Web;

/// <summary>
/// Writes one line per request in the combined log format (Apache's, which Twisted's <c>combinedLogFormatter</c>
/// follows): <c>host ident user [time] "request line" status bytes "referer" "user agent"</c>.
/// </summary>
internal static class AccessLog
{
    /// <summary>The default category of <see cref="Site.AccessLogger"/>.</summary>
    internal const string Category = "AsyncCore.Web.Access";

    private static readonly Action<ILogger, string, Exception?> s_request =
        LoggerMessage.Define<string>(LogLevel.Information, new EventId(2, "Request"), "{AccessLine}",
            new LogDefineOptions { SkipEnabledCheck = true });

    public static void Write(ILogger logger, IReactorTime? clock, EndPoint? client, string? requestLine, int code, long bytes, string? referer, string? userAgent)
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return; // The line is formatted only when someone reads it: this runs once per request.
        }
        var time = (clock?.TimeProvider ?? TimeProvider.System).GetUtcNow().UtcDateTime;
        var line = new StringBuilder(160);
        line.Append(client switch
        {
            IPEndPoint ip => ip.Address.ToString(),
            null => "-",
            _ => Escape(client.ToString() ?? "-"),
        });
        // ident and user: Twisted writes "-" for both; there is no RFC 1413 lookup and no authenticated user here.
        line.Append(" - - [")
            .Append(time.ToString("dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture))
            .Append(" +0000] \"").Append(requestLine is null ? "-" : Escape(requestLine)).Append("\" ")
            .Append(code.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(bytes > 0 ? bytes.ToString(CultureInfo.InvariantCulture) : "-")
            .Append(" \"").Append(referer is null ? "-" : Escape(referer))
            .Append("\" \"").Append(userAgent is null ? "-" : Escape(userAgent)).Append('"');
        s_request(logger, line.ToString(), null);
    }

    /// <summary>Escapes what a client sent so a field cannot end early or forge a line (as Apache does): quotes,
    /// backslashes and control characters.</summary>
    private static string Escape(string text)
    {
        if (!text.Any(c => c is '"' or '\\' || char.IsControl(c)))
        {
            return text;
        }
        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            _ = c switch
            {
                '"' => escaped.Append("\\\""),
                '\\' => escaped.Append("\\\\"),
                _ when char.IsControl(c) => escaped.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)),
                _ => escaped.Append(c),
            };
        }
        return escaped.ToString();
    }
}
