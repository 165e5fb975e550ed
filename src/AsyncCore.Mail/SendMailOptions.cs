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
}
