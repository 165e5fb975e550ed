using System.Net;

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
    /// The user name and password to log in with (<c>AUTH PLAIN</c>, or <c>AUTH LOGIN</c> when the server offers only
    /// that); null (the default) sends without logging in. When set, the transaction fails if the server offers
    /// neither mechanism (Twisted's <c>requireAuthentication</c>) or refuses the credentials.
    /// </summary>
    public NetworkCredential? Credentials { get; set; }

    /// <summary>
    /// Send <see cref="Credentials"/> over a connection that is not encrypted (anyone on the path can read them); false
    /// by default: log in only over TLS (a <c>tls:</c> endpoint, port 465).
    /// </summary>
    public bool AllowAuthenticationWithoutTls { get; set; }
}
