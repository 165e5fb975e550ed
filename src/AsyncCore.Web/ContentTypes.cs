namespace AsyncCore.Web;

/// <summary>
/// The content types <see cref="StaticFile"/> starts with, by file extension: what a web site serves, not an
/// exhaustive registry.
/// </summary>
/// <remarks>
/// Why a table here rather than a package: ASP.NET's <c>FileExtensionContentTypeProvider</c> lives in
/// Microsoft.AspNetCore.StaticFiles, which needs the ASP.NET Core shared framework; MimeKit's <c>MimeTypes</c> would
/// make every web application carry a mail library for some 60 lines. A site that needs more adds to
/// <see cref="StaticFile.ContentTypes"/>. Text types say UTF-8, the encoding files of a site are written in today
/// (without it browsers guess windows-1252 for a page that has no meta tag).
/// </remarks>
internal static class ContentTypes
{
    public static Dictionary<string, string> CreateDefault() => new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".htm"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".mjs"] = "text/javascript; charset=utf-8",
        [".json"] = "application/json",
        [".map"] = "application/json",
        [".webmanifest"] = "application/manifest+json",
        [".txt"] = "text/plain; charset=utf-8",
        [".md"] = "text/markdown; charset=utf-8",
        [".csv"] = "text/csv; charset=utf-8",
        [".xml"] = "application/xml",
        [".rss"] = "application/rss+xml",
        [".atom"] = "application/atom+xml",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".webp"] = "image/webp",
        [".avif"] = "image/avif",
        [".ico"] = "image/vnd.microsoft.icon",
        [".bmp"] = "image/bmp",
        [".woff"] = "font/woff",
        [".woff2"] = "font/woff2",
        [".ttf"] = "font/ttf",
        [".otf"] = "font/otf",
        [".wasm"] = "application/wasm",
        [".pdf"] = "application/pdf",
        [".zip"] = "application/zip",
        [".gz"] = "application/gzip",
        [".tar"] = "application/x-tar",
        [".mp3"] = "audio/mpeg",
        [".ogg"] = "audio/ogg",
        [".wav"] = "audio/wav",
        [".mp4"] = "video/mp4",
        [".webm"] = "video/webm",
    };
}
