namespace AsyncCore.Mail;

/// <summary>Settings of an <see cref="EsmtpServerFactory"/>.</summary>
public sealed class EsmtpServerOptions
{
    /// <summary>The name the server gives in its greeting and its <c>EHLO</c> reply; the machine's name by default.</summary>
    public string HostName { get; set; } = Environment.MachineName;

    /// <summary>The largest message accepted, in bytes (advertised as <c>SIZE</c>); 10 MiB by default.</summary>
    public long MaxMessageSize { get; set; } = 10 * 1024 * 1024;

    /// <summary>The most recipients per message (RFC 5321 asks servers to take at least 100); 100 by default.</summary>
    public int MaxRecipients { get; set; } = 100;

    /// <summary>
    /// The longest command line, without its CRLF; longer ones get <c>500 5.5.2</c> and the connection stays open.
    /// 2048 by default: RFC 5321's 512 octets plus room for the parameters of extensions.
    /// </summary>
    public int MaxCommandLength { get; set; } = 2048;

    /// <summary>How long a connection may be silent before the server says 421 and closes it; 5 minutes by default (RFC 5321 section 4.5.3.2.7).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
