namespace AsyncCore.Mail;

/// <summary>
/// Checks a user name and password an SMTP client gave with <c>AUTH</c> (Twisted's credentials checker behind the
/// SMTP portal). The answer may come later (a database look-up); true accepts, false refuses (<c>535</c>), a failure is
/// a temporary error (<c>454</c>).
/// </summary>
/// <param name="userName">The authentication identity.</param>
/// <param name="password">The password, as the client sent it.</param>
public delegate Deferred<bool> SmtpCredentialChecker(string userName, string password);
