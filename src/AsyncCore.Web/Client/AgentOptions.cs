using AsyncCore.Transports;

namespace AsyncCore.Web.Client;

/// <summary>The settings of an <see cref="Agent"/>.</summary>
public sealed class AgentOptions
{
    /// <summary>
    /// How many redirects (301, 302, 303, 307, 308 with a <c>Location</c>) are followed before the request fails with
    /// <see cref="TooManyRedirectsException"/>; 0 (the default, as Twisted's plain <c>Agent</c>) answers with the
    /// redirect itself. Followed as browsers do (Twisted's <c>BrowserLikeRedirectAgent</c>): 303, and 301/302 after a
    /// POST, become a GET without the body; 307 and 308 repeat the method and body. Credentials
    /// (<c>Authorization</c>, <c>Cookie</c>) are not sent to another origin.
    /// </summary>
    public int MaxRedirects { get; init; }

    /// <summary>How long connecting may take (30 s by default).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the server may send nothing while a response is awaited or its body is being read (restarted by every
    /// read; not running while the body waits for the caller to take it); then the connection is closed and the request
    /// or body fails with a <see cref="ResponseFailedException"/> whose cause is a <see cref="TimeoutException"/>.
    /// Null: no limit. 100 s by default (as <c>HttpClient.Timeout</c>).
    /// </summary>
    public TimeSpan? ReadTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// The TLS settings for an <c>https</c> host and port (Twisted's <c>IPolicyForHTTPS</c>); null verifies the server
    /// against the system's roots for the URL's host name (<see cref="TlsClientOptions.ForHostname"/>).
    /// </summary>
    public Func<string, int, TlsClientOptions>? TlsPolicy { get; init; }
}
