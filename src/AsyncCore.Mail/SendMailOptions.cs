using System.Net;
using AsyncCore.Transports;

namespace AsyncCore.Mail;

/// <summary>Settings of one <see cref="Mail.SendMail"/> or <see cref="EsmtpClient"/>.</summary>
public sealed class SendMailOptions
{
    /// <summary>The name the client gives in <c>EHLO</c>/<c>HELO</c>; the machine's name by default.</summary>
    public string HeloName { get; set; } = Environment.MachineName;

    /// <summary>
    /// How long to wait for any reply before giving up (the transaction fails with <see cref="TimeoutException"/> and the
    /// connection is aborted); 5 minutes by default, RFC 5321's shortest per-command timeout.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest reply line accepted, in bytes; longer is a protocol error. 4096 by default (RFC 5321 says 512).</summary>
    public int MaxReplyLineLength { get; set; } = 4096;

    /// <summary>Send <c>MAIL</c>, every <c>RCPT</c> and <c>DATA</c> at once when the server offers <c>PIPELINING</c>; true by default.</summary>
    public bool UsePipelining { get; set; } = true;

    /// <summary>
    /// The user name and password to log in with (<c>AUTH CRAM-MD5</c>, <c>PLAIN</c> or <c>LOGIN</c>, the first the
    /// server offers in that order); null (the default) sends without logging in. When set, the transaction fails if the
    /// server refuses the credentials, and, with <see cref="RequireAuthentication"/>, if it offers none of the three.
    /// </summary>
    public NetworkCredential? Credentials { get; set; }

    /// <summary>
    /// With <see cref="Credentials"/> set, fail when the server offers no mechanism the client speaks (Twisted's
    /// <c>requireAuthentication</c>); true by default. False sends without logging in then.
    /// </summary>
    public bool RequireAuthentication { get; set; } = true;

    /// <summary>
    /// Upgrade the connection with <c>STARTTLS</c> (RFC 3207) when the server offers it, checking the server as these
    /// options say (<see cref="TlsClientOptions.ForHostname"/>); null (the default) stays in clear unless the endpoint is TLS.
    /// After the upgrade the client greets the server again and uses the extensions it offers over TLS.
    /// </summary>
    public TlsClientOptions? StartTls { get; set; }

    /// <summary>
    /// Fail before sending anything (no credentials, no envelope) unless the connection is encrypted: a <c>tls:</c>
    /// endpoint, or <c>STARTTLS</c> done with <see cref="StartTls"/> (Twisted's <c>requireTransportSecurity</c>). False by
    /// default. A server that does not offer <c>STARTTLS</c>, or refuses it, fails the transaction with an
    /// <see cref="SmtpException"/> saying so.
    /// </summary>
    public bool RequireTransportSecurity { get; set; }

    /// <summary>
    /// Send <see cref="Credentials"/> over a connection that is not encrypted (anyone on the path can read them); false
    /// by default: log in only over TLS (a <c>tls:</c> endpoint, port 465).
    /// </summary>
    public bool AllowAuthenticationWithoutTls { get; set; }
}
