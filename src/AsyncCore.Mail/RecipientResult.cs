namespace AsyncCore.Mail;

/// <summary>What the server answered to one recipient's <c>RCPT TO</c>.</summary>
/// <param name="Address">The recipient.</param>
/// <param name="Reply">The server's reply; positive when the recipient was accepted.</param>
public sealed record RecipientResult(string Address, SmtpReply Reply)
{
    /// <summary>True when the server accepted the recipient.</summary>
    public bool Accepted => Reply.IsPositive;
}
