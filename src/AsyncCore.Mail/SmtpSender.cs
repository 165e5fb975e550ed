using System.Security.Authentication;
using AsyncCore.Endpoints;
using AsyncCore.Reactor;
using AsyncCore.Tasks;
using MimeKit;

namespace AsyncCore.Mail;

/// <summary>
/// Sends many messages to one SMTP server over a few reused connections (Twisted's <c>ESMTPSenderFactory</c>, with a
/// pool): each connection carries message after message (<c>RSET</c> only after one stopped before its data), up to
/// <see cref="MaxConnections"/> connections are opened as messages queue up, and a message whose connection could not
/// be made or was lost before the server accepted it is tried again on a new one, up to <see cref="Retries"/> times. A
/// refusal (a 4xx or 5xx reply) is not retried: it is the message's answer.
/// </summary>
/// <remarks>Used on the reactor thread. <see cref="Close"/> sends <c>QUIT</c> on every connection once its messages are done.</remarks>
public sealed class SmtpSender
{
    private readonly IReactor _reactor;
    private readonly string _endpointDescription;
    private readonly IStreamClientEndpoint _endpoint;
    private readonly SendMailOptions? _options;
    private readonly List<EsmtpClient> _clients = [];
    private bool _closed;

    /// <summary>Creates the sender; no connection is made until the first message.</summary>
    /// <param name="reactor">The reactor.</param>
    /// <param name="endpoint">The server, as an endpoint string (<c>tcp:smtp.example:587</c>).</param>
    /// <param name="options">Names, timeouts, TLS and credentials every connection uses; defaults when null.</param>
    /// <param name="maxConnections">The most connections open at once; 1 by default.</param>
    public SmtpSender(IReactor reactor, string endpoint, SendMailOptions? options = null, int maxConnections = 1)
    {
        _reactor = reactor ?? throw new ArgumentNullException(nameof(reactor));
        _endpointDescription = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConnections, 1);
        _endpoint = Endpoint.ClientFromString(reactor, endpoint);
        _options = options;
        MaxConnections = maxConnections;
    }

    /// <summary>The most connections open at once.</summary>
    public int MaxConnections { get; }

    /// <summary>How many times a message is tried again after a connection failure (Twisted's <c>retries</c>); 5 by default.</summary>
    public int Retries { get; init; } = 5;

    /// <summary>How long to wait before trying again; 1 second by default.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The connections open now.</summary>
    public int OpenConnections => _clients.Count(c => c.IsUsable);

    /// <summary>Queues a message; it goes on the least busy connection (a new one while fewer than <see cref="MaxConnections"/> are busy).</summary>
    /// <returns>The answer for each recipient, as <see cref="Mail.SendMail"/>'s.</returns>
    public Deferred<SendMailResult> Send(string sender, IEnumerable<string> recipients, MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(recipients);
        ObjectDisposedException.ThrowIf(_closed, this);
        var result = new Deferred<SendMailResult>();
        Attempt(sender, recipients.ToArray(), message, result, 0);
        return result;
    }

    /// <summary>
    /// Sends many messages (seed 003: millions of recipients) through a <see cref="Cooperator"/>: the sequence is read
    /// lazily, one message per cooperative step, with at most <see cref="BulkSendOptions.Concurrency"/> messages in
    /// flight over this sender's connections, so the reactor is never held longer than a time slice and memory does not
    /// grow with the number of messages.
    /// </summary>
    /// <param name="messages">The messages; read as earlier ones finish (a lazy sequence is never held whole).</param>
    /// <param name="options">Concurrency, a callback per message, the cooperator; defaults when null.</param>
    /// <returns>
    /// A Deferred of the counts once every message finished; a message that fails is counted (and given to
    /// <see cref="BulkSendOptions.OnResult"/>) but does not stop the others. It fails when the sequence throws or the
    /// callback does (messages already queued still go).
    /// </returns>
    public Deferred<BulkSendSummary> SendMany(IEnumerable<OutgoingMessage> messages, BulkSendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(_closed, this);
        options ??= new BulkSendOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Concurrency);
        var concurrency = options.Concurrency > 0 ? options.Concurrency : 2 * MaxConnections;
        var cooperator = options.Cooperator ?? new Cooperator(_reactor, options.TimeSlice);
        var run = new BulkSend(this, concurrency, options.OnResult);
        return cooperator.Coiterate(run.Steps(messages)).AddCallback(_ => run.Summary);
    }

    /// <summary>
    /// Sends one message per recipient (seed 003's newsletter): <paramref name="messageFor"/> builds each recipient's
    /// message when its turn comes, so a million recipients never means a million messages in memory.
    /// </summary>
    /// <param name="sender">The envelope sender of every message.</param>
    /// <param name="recipients">The recipients, one message each; read lazily.</param>
    /// <param name="messageFor">Builds the message for one recipient (it may return the same message for all).</param>
    /// <param name="options">Concurrency, a callback per message, the cooperator; defaults when null.</param>
    /// <returns>As <see cref="SendMany(IEnumerable{OutgoingMessage}, BulkSendOptions?)"/>.</returns>
    public Deferred<BulkSendSummary> SendToEach(string sender, IEnumerable<string> recipients, Func<string, MimeMessage> messageFor, BulkSendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(messageFor);
        return SendMany(recipients.Select(to => new OutgoingMessage(sender, [to], messageFor(to))), options);
    }

    /// <summary>Sends <c>QUIT</c> on every connection once its queued messages are done; later sends throw.</summary>
    public void Close()
    {
        _closed = true;
        foreach (var client in _clients)
        {
            client.Quit();
        }
        _clients.Clear();
    }

    private void Attempt(string sender, string[] recipients, MimeMessage message, Deferred<SendMailResult> result, int attempt)
    {
        if (_closed)
        {
            result.Errback(new SmtpException("The sender was closed before the message could be tried again"));
            return;
        }
        Pick().Send(sender, recipients, message).AddBoth(outcome =>
        {
            if (outcome.TryGetValue(out var sent))
            {
                result.Callback(sent);
            }
            else if (attempt < Retries && IsConnectionFailure(outcome.Failure!.Value))
            {
                _reactor.CallLater(RetryDelay, () => Attempt(sender, recipients, message, result, attempt + 1));
            }
            else
            {
                result.Errback(outcome.Failure!);
            }
            return true;
        });
    }

    /// <summary>No connection, or lost before the server answered: worth another connection. Not a refusal, not bad TLS.</summary>
    private static bool IsConnectionFailure(Exception error) =>
        error is TimeoutException
        || (error is SmtpException { Reply: null, InnerException: { } inner } && inner is not AuthenticationException);

    private EsmtpClient Pick()
    {
        _clients.RemoveAll(c => !c.IsUsable);
        EsmtpClient? best = null;
        foreach (var client in _clients)
        {
            if (best is null || client.Pending < best.Pending)
            {
                best = client;
            }
        }
        if (best is null || (best.Pending > 0 && _clients.Count < MaxConnections))
        {
            best = Open();
        }
        return best;
    }

    private EsmtpClient Open()
    {
        var client = new EsmtpClient(_reactor, _options);
        // Each message's Deferred carries a failed connection; Ready's copy is not needed here.
        client.Ready.AddErrback(_ => { });
        _clients.Add(client);
        Endpoint.ConnectProtocol(_endpoint, client).AddBoth(outcome =>
        {
            if (outcome.Failure is { } failure)
            {
                client.Fail(new SmtpException("Could not connect to " + _endpointDescription, failure.Value));
            }
            return true;
        });
        return client;
    }
}
