using AsyncCore.Endpoints;
using AsyncCore.Reactor;
using MimeKit;

namespace AsyncCore.Mail;

/// <summary>Sending mail in one call (Twisted's <c>smtp.sendmail</c>).</summary>
public static class Mail
{
    /// <summary>
    /// Connects to the SMTP server at <paramref name="endpoint"/> (an endpoint string, such as
    /// <c>tcp:smtp.example:25</c>), sends <paramref name="message"/> to <paramref name="recipients"/> and quits.
    /// </summary>
    /// <returns>
    /// A Deferred that fires with the answer for each recipient once the server accepted the message (some recipients
    /// may have been refused: see <see cref="SendMailResult.Refused"/>), or fails with <see cref="SmtpException"/> when
    /// nothing was delivered (connection refused or lost, sender or every recipient refused, message refused), or with
    /// <see cref="TimeoutException"/>.
    /// </returns>
    public static Deferred<SendMailResult> SendMail(
        IReactor reactor, string endpoint, string sender, IEnumerable<string> recipients, MimeMessage message, SendMailOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        ArgumentNullException.ThrowIfNull(endpoint);
        var client = new EsmtpClient(reactor, sender, recipients, message, options);
        var connecting = Endpoint.ConnectProtocol(Endpoint.ClientFromString(reactor, endpoint), client);
        connecting.AddBoth(outcome =>
        {
            if (outcome.Failure is { } failure)
            {
                client.Fail(new SmtpException("Could not connect to " + endpoint, failure.Value));
            }
            return true;
        });
        return client.Completion;
    }

    /// <summary>
    /// Compiles the send path (the client, MimeKit's message writing and the server) on a worker thread, by one SMTP
    /// conversation in memory, so that the first real send does not compile it inside a reactor call. Call it once at
    /// startup, before a bulk send, when the reactor must not stall: a cold process's first send otherwise holds the
    /// reactor for some 30-50 ms while the JIT compiles.
    /// </summary>
    /// <returns>A Deferred that fires on the reactor thread once the path is compiled (how long that took).</returns>
    public static Deferred<TimeSpan> WarmUp(IReactorThreads reactor)
    {
        ArgumentNullException.ThrowIfNull(reactor);
        return reactor.DeferToThread(static () =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            MailWarmUp.Run();
            return System.Diagnostics.Stopwatch.GetElapsedTime(started);
        });
    }
}
