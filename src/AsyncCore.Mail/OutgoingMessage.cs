using MimeKit;

namespace AsyncCore.Mail;

/// <summary>One message for <see cref="SmtpSender.SendMany(IEnumerable{OutgoingMessage}, BulkSendOptions?)"/>: its envelope and its content.</summary>
/// <param name="Sender">The envelope sender (<c>MAIL FROM</c>); an empty string for the null reverse-path.</param>
/// <param name="Recipients">The envelope recipients (<c>RCPT TO</c>); at least one.</param>
/// <param name="Message">The message, written with MimeKit (its <c>Bcc</c> headers are not sent).</param>
public sealed record OutgoingMessage(string Sender, IReadOnlyList<string> Recipients, MimeMessage Message);
