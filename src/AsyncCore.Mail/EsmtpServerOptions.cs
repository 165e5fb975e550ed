using AsyncCore.Transports;

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

    /// <summary>
    /// How long a connection may be silent before the server says 421 and closes it; 5 minutes by default (RFC 5321
    /// section 4.5.3.2.7). A message receiver that holds the reading paused (<see cref="IMailMessageReceiver.Start"/>)
    /// counts as silence: one that never resumes is closed then.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The certificate to offer <c>STARTTLS</c> (RFC 3207) with; null (the default) does not offer it. After the
    /// upgrade the client must greet again: the server forgets the greeting, the transaction and a login made in clear.
    /// </summary>
    public TlsServerOptions? StartTls { get; set; }

    /// <summary>
    /// Refuse mail (<c>530 5.7.0</c>) until the client has started TLS (or the port is a TLS port); needs
    /// <see cref="StartTls"/> on a clear port. False by default.
    /// </summary>
    public bool RequireTls { get; set; }

    /// <summary>
    /// Checks the credentials of <c>AUTH PLAIN</c> and <c>AUTH LOGIN</c> (RFC 4954); null (the default) does not offer
    /// <c>AUTH</c>. The user who logged in is in <see cref="MailEnvelope.AuthenticatedUser"/>.
    /// </summary>
    public SmtpCredentialChecker? CredentialChecker { get; set; }

    /// <summary>
    /// Offer and accept <c>AUTH</c> on a connection that is not encrypted (the password travels in clear); false by
    /// default: before TLS, <c>AUTH</c> is not advertised and gets <c>538 5.7.11</c>.
    /// </summary>
    public bool AllowAuthenticationWithoutTls { get; set; }

    /// <summary>Refuse <c>MAIL</c> (<c>530 5.7.0</c>) until the client has logged in; needs <see cref="CredentialChecker"/>. False by default.</summary>
    public bool RequireAuthentication { get; set; }
}
