namespace AsyncCore.Web.Client;

/// <summary>
/// A redirect was answered after <see cref="AgentOptions.MaxRedirects"/> had been followed (Twisted's
/// <c>RedirectAgent</c> failing with <c>InfiniteRedirection</c>). <see cref="Response"/> is the last redirect response.
/// </summary>
public sealed class TooManyRedirectsException : ResponseFailedException
{
    /// <summary>Creates the exception with the default message.</summary>
    public TooManyRedirectsException() : base("Too many redirects.") { }

    /// <summary>Creates the exception with a message.</summary>
    public TooManyRedirectsException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public TooManyRedirectsException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for the last redirect response.</summary>
    public TooManyRedirectsException(HttpResponse response)
        : base($"Gave up after too many redirects (the last: {response?.Code} to '{response?.Headers.Get("Location")}').") =>
        Response = response;

    /// <summary>The last redirect response, or null.</summary>
    public HttpResponse? Response { get; }
}
