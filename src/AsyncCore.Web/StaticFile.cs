using System.Globalization;
using AsyncCore.Protocols;

namespace AsyncCore.Web;

/// <summary>
/// Serves a directory (or one file) from disk (Twisted's <c>static.File</c>): content types by extension,
/// <c>Last-Modified</c> and <c>ETag</c> with <c>If-Match</c>/<c>If-Unmodified-Since</c> (412) and
/// <c>If-None-Match</c>/<c>If-Modified-Since</c> (304), one byte range
/// (<c>Range</c>, <c>If-Range</c>: 206 or 416), and the body streamed by a <see cref="FileSender"/> as the client reads
/// it, so a large file takes a chunk of memory rather than its size.
/// </summary>
/// <remarks>
/// <para>Nothing outside the directory is served. A path segment that is <c>.</c> or <c>..</c>, holds a <c>/</c>,
/// <c>\</c>, <c>:</c> or NUL once percent-decoded (<c>%2e%2e</c>, <c>%2f</c>, <c>%5c</c>), or is empty in the middle of
/// the path answers 404, and symbolic links are followed only while they stay inside the directory (each link on the
/// way is resolved, as <c>realpath</c> would, and the walk refused when it leaves).</para>
/// <para>A directory's URL without its trailing slash is redirected (301) to it, so relative links in its index
/// resolve; a directory answers its first <see cref="IndexNames"/> file, else 403 (there is no listing).</para>
/// <para>Metadata (existence, size, time, links) is read on the reactor thread, as Twisted does: a <c>stat</c> is
/// short. The file's bytes are read asynchronously.</para>
/// </remarks>
public class StaticFile : Resource
{
    private const int MaxLinkHops = 40; // As Linux's MAXSYMLINKS.

    /// <summary>Serves <paramref name="path"/>, a directory or a file.</summary>
    /// <exception cref="DirectoryNotFoundException">Neither a directory nor a file is there.</exception>
    public StaticFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        var fsRoot = System.IO.Path.GetPathRoot(full)!;
        Root = Walk(fsRoot, Split(full[fsRoot.Length..]), confined: false)
            ?? throw new DirectoryNotFoundException($"Too many symbolic links under {path}.");
        if (!Directory.Exists(Root) && !File.Exists(Root))
        {
            throw new DirectoryNotFoundException($"Nothing to serve at {path}.");
        }
    }

    /// <summary>The directory or file served, with every symbolic link resolved.</summary>
    public string Root { get; }

    /// <summary>Content types by extension (with its dot, any case); starts with the common types of a web site.</summary>
    public IDictionary<string, string> ContentTypes { get; } = Web.ContentTypes.CreateDefault();

    /// <summary>The content type of a file whose extension is not in <see cref="ContentTypes"/>.</summary>
    public string DefaultContentType { get; set; } = "application/octet-stream";

    /// <summary>The files a directory answers with, first found first (<c>index.html</c>).</summary>
    public IList<string> IndexNames { get; } = ["index.html"];

    /// <inheritdoc />
    public override bool IsLeaf => true;

    /// <inheritdoc />
    protected override RenderResult RenderGet(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var segments = request.PostPath;
        for (var i = 0; i < segments.Count; i++)
        {
            if (!IsPlainSegment(segments[i], last: i == segments.Count - 1))
            {
                return NotFound(request);
            }
        }
        var path = Walk(Root, segments, confined: true);
        if (path is null)
        {
            return NotFound(request);
        }
        if (Directory.Exists(path))
        {
            if (!request.Path.EndsWith('/'))
            {
                request.ResponseCode = 301;
                request.SetHeader("Location", request.Path + "/" + request.Uri[request.Path.Length..]);
                return "";
            }
            path = IndexNames.Select(name => Walk(Root, [.. segments, name], confined: true)).FirstOrDefault(File.Exists);
            if (path is null)
            {
                return new ErrorPage(403, "Directory listing is not enabled.").Render(request);
            }
        }
        else if (!File.Exists(path))
        {
            return NotFound(request);
        }
        return Serve(request, new FileInfo(path));
    }

    /// <summary>The content type of a file: by its extension from <see cref="ContentTypes"/>, else
    /// <see cref="DefaultContentType"/>.</summary>
    protected virtual string ContentTypeOf(string path) =>
        ContentTypes.TryGetValue(System.IO.Path.GetExtension(path), out var type) ? type : DefaultContentType;

    private RenderResult Serve(Request request, FileInfo file)
    {
        var length = file.Length;
        // HTTP dates have whole seconds; comparing with the truncated time keeps a file's own Last-Modified "not newer".
        var modified = new DateTimeOffset(file.LastWriteTimeUtc.Ticks - (file.LastWriteTimeUtc.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var etag = "\"" + length.ToString("x", CultureInfo.InvariantCulture) + "-" + file.LastWriteTimeUtc.Ticks.ToString("x", CultureInfo.InvariantCulture) + "\"";
        var lastModified = modified.ToString("r", CultureInfo.InvariantCulture);
        request.SetHeader("Last-Modified", lastModified);
        request.SetHeader("ETag", etag);
        request.SetHeader("Accept-Ranges", "bytes");

        // RFC 9110 13.2.2, in its order: If-Match (strong comparison), or If-Unmodified-Since when it is absent; a
        // precondition that fails answers 412 and nothing of the file.
        var ifMatch = request.GetHeader("If-Match");
        if (ifMatch is not null ? !AnyTagMatches(ifMatch, etag, weak: false) : ModifiedSince(request.GetHeader("If-Unmodified-Since"), modified))
        {
            request.ResponseCode = 412;
            request.SetHeader("Content-Type", "text/plain; charset=utf-8");
            return "412 Precondition Failed\n";
        }

        // Then If-None-Match, and If-Modified-Since only when it is absent.
        var noneMatch = request.GetHeader("If-None-Match");
        if (noneMatch is not null ? AnyTagMatches(noneMatch, etag) : NotModifiedSince(request.GetHeader("If-Modified-Since"), modified))
        {
            request.ResponseCode = 304;
            return "";
        }
        request.SetHeader("Content-Type", ContentTypeOf(file.FullName));

        long start = 0, count = length;
        var range = request.GetHeader("Range");
        var ifRange = request.GetHeader("If-Range");
        if (range is not null && (ifRange is null || ifRange == etag || ifRange == lastModified))
        {
            switch (ParseRange(range, length, out start, out count))
            {
                case RangeKind.Unsatisfiable:
                    request.ResponseCode = 416;
                    request.SetHeader("Content-Range", "bytes */" + length.ToString(CultureInfo.InvariantCulture));
                    request.SetHeader("Content-Type", "text/plain; charset=utf-8");
                    return "416 Range Not Satisfiable\n";
                case RangeKind.Satisfiable:
                    request.ResponseCode = 206;
                    request.SetHeader("Content-Range", string.Create(CultureInfo.InvariantCulture, $"bytes {start}-{start + count - 1}/{length}"));
                    break;
                default:
                    (start, count) = (0, length); // Not one range we read: RFC 9110 14.2 lets the whole file answer.
                    break;
            }
        }
        request.SetHeader("Content-Length", count.ToString(CultureInfo.InvariantCulture));
        if (request.Method == "HEAD" || count == 0)
        {
            request.Finish();
            return RenderResult.NotDoneYet;
        }

        FileStream stream;
        try
        {
            stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            request.ResponseHeaders.Remove("Content-Length");
            request.ResponseCode = 200;
            request.ResponseHeaders.Remove("Content-Range");
            return (e is UnauthorizedAccessException ? new ErrorPage(403, "Forbidden.") : ErrorPage.NotFound()).Render(request);
        }
        stream.Position = start;
        var slice = new FileSlice(stream, count);
        request.Write(ReadOnlySpan<byte>.Empty); // The head goes out now, not with the first chunk read.
        var sender = new FileSender();
        // The Request is the consumer: the transport asks the sender for the next chunk only once it sent the last one.
        _ = sender.BeginFileTransfer(slice, request).AddBoth(outcome =>
        {
            slice.Dispose();
            if (request.Finished || request.ClientGone)
            {
                return true; // The client left; the transport stopped the sender.
            }
            if (outcome.Failure is { } failure)
            {
                request.Fail(failure);
            }
            else if (request.SentLength != count)
            {
                // The file shrank since its size was sent: the client can only be told by the connection ending.
                request.Fail(new Failure(new IOException($"{file.FullName} changed while it was being sent.")));
            }
            else
            {
                request.Finish();
            }
            return true;
        });
        return RenderResult.NotDoneYet;
    }

    private static RenderResult NotFound(Request request) => ErrorPage.NotFound().Render(request);

    private enum RangeKind
    {
        Ignored,
        Satisfiable,
        Unsatisfiable,
    }

    /// <summary>One <c>bytes=</c> range (RFC 9110 14.1.2); several ranges, another unit or bad syntax are ignored.</summary>
    private static RangeKind ParseRange(string header, long length, out long start, out long count)
    {
        start = 0;
        count = length;
        var equals = header.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0 || !header[..equals].Trim().Equals("bytes", StringComparison.OrdinalIgnoreCase))
        {
            return RangeKind.Ignored;
        }
        var spec = header[(equals + 1)..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0 || spec.Contains(',', StringComparison.Ordinal))
        {
            return RangeKind.Ignored;
        }
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            // A suffix: the last N bytes.
            if (!TryDigits(last, out var suffix))
            {
                return RangeKind.Ignored;
            }
            if (suffix == 0 || length == 0)
            {
                return RangeKind.Unsatisfiable;
            }
            count = Math.Min(suffix, length);
            start = length - count;
            return RangeKind.Satisfiable;
        }
        if (!TryDigits(first, out var from))
        {
            return RangeKind.Ignored;
        }
        var to = long.MaxValue;
        if (last.Length > 0 && (!TryDigits(last, out to) || to < from))
        {
            return RangeKind.Ignored;
        }
        if (from >= length)
        {
            return RangeKind.Unsatisfiable;
        }
        start = from;
        count = Math.Min(to, length - 1) - from + 1;
        return RangeKind.Satisfiable;
    }

    private static bool TryDigits(string text, out long value)
    {
        value = 0;
        return text.Length is > 0 and <= 18 && text.All(char.IsAsciiDigit) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The weak comparison of RFC 9110 8.8.3.2 against a list of tags, or <c>*</c>.</summary>
    /// <summary>True when a tag of the list (or <c>*</c>) matches; weak comparison (RFC 9110 8.8.3.2) ignores a
    /// <c>W/</c> prefix, strong comparison lets no weak tag match.</summary>
    private static bool AnyTagMatches(string header, string etag, bool weak = true)
    {
        foreach (var candidate in header.Split(','))
        {
            var tag = candidate.Trim();
            if (tag == "*" || (tag.StartsWith("W/", StringComparison.Ordinal) ? (weak ? tag[2..] : null) : tag) == etag)
            {
                return true;
            }
        }
        return false;
    }

    private static bool NotModifiedSince(string? header, DateTimeOffset modified) =>
        header is not null
        && DateTimeOffset.TryParse(header, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since)
        && modified <= since;

    private static bool ModifiedSince(string? header, DateTimeOffset modified) =>
        header is not null
        && DateTimeOffset.TryParse(header, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since)
        && modified > since;

    private static bool IsPlainSegment(string segment, bool last) =>
        segment.Length == 0
            ? last // The trailing slash of a directory; an empty segment elsewhere ("a//b") is not a name.
            : segment is not ("." or "..") && segment.IndexOfAny(['/', '\\', ':', '\0']) < 0 && !System.IO.Path.IsPathRooted(segment);

    private static IEnumerable<string> Split(string path) =>
        path.Split(['/', System.IO.Path.DirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// The physical path that <paramref name="components"/> name below <paramref name="basePath"/> (itself free of
    /// links), every symbolic link on the way resolved (as <c>realpath</c>): null after too many links, or, when
    /// <paramref name="confined"/>, as soon as the walk would leave <paramref name="basePath"/>, through <c>..</c> or a
    /// link. A <c>..</c> is taken after the links before it are resolved, as the kernel takes it.
    /// </summary>
    private static string? Walk(string basePath, IEnumerable<string> components, bool confined)
    {
        var resolved = new List<string>();
        var pending = new LinkedList<string>(components);
        var hops = 0;
        while (pending.First is { } node)
        {
            pending.RemoveFirst();
            var segment = node.Value;
            if (segment is "" or ".")
            {
                continue;
            }
            if (segment == "..")
            {
                if (resolved.Count == 0)
                {
                    if (confined)
                    {
                        return null;
                    }
                    continue; // "/.." is "/".
                }
                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            var path = System.IO.Path.Join([basePath, .. resolved, segment]);
            string? target;
            try
            {
                target = new FileInfo(path).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
            if (target is null)
            {
                resolved.Add(segment);
                continue;
            }
            if (++hops > MaxLinkHops)
            {
                return null;
            }
            if (System.IO.Path.IsPathRooted(target))
            {
                if (confined)
                {
                    var prefix = System.IO.Path.TrimEndingDirectorySeparator(basePath);
                    if (!(target == prefix || target.StartsWith(prefix + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal)))
                    {
                        return null;
                    }
                    target = target[prefix.Length..];
                }
                else
                {
                    target = target[System.IO.Path.GetPathRoot(target)!.Length..];
                }
                resolved.Clear();
            }
            foreach (var part in Split(target).Reverse())
            {
                pending.AddFirst(part);
            }
        }
        return System.IO.Path.Join([basePath, .. resolved]);
    }
}
