using System.Net;

namespace AsyncCore.Web;

/// <summary>A leaf that answers every method with one status code and a short text (Twisted's <c>ErrorPage</c>).</summary>
public class ErrorPage : Resource
{
    /// <summary>Creates the page.</summary>
    /// <param name="code">The status code.</param>
    /// <param name="brief">A one-line explanation, sent as the plain-text body.</param>
    public ErrorPage(int code, string brief)
    {
        Code = code;
        Brief = brief ?? throw new ArgumentNullException(nameof(brief));
    }

    /// <summary>A 404 page (Twisted's <c>NoResource</c>).</summary>
    public static ErrorPage NotFound() => new(404, "No such resource.");

    /// <summary>The status code.</summary>
    public int Code { get; }

    /// <summary>The text of the body.</summary>
    public string Brief { get; }

    /// <inheritdoc />
    public override bool IsLeaf => true;

    /// <inheritdoc />
    public override Resource GetChild(string path, Request request) => this;

    /// <inheritdoc />
    public override RenderResult Render(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.ResponseCode = Code;
        request.ResponseHeaders.Set("Content-Type", "text/plain; charset=utf-8");
        return $"{Code} {HttpChannel.ReasonPhrase(Code)}\n{WebUtility.HtmlEncode(Brief)}\n";
    }
}
