using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AsyncCore.Protocols;
using AsyncCore.Transports;
using MimeKit;

namespace AsyncCore.Mail;

/// <summary>
/// The client side of one ESMTP transaction (Twisted's <c>smtp.ESMTPClient</c>/<c>ESMTPSender</c>): greeting,
/// <c>EHLO</c> (falling back to <c>HELO</c> when refused), <c>MAIL FROM</c>, one <c>RCPT TO</c> per recipient,
/// <c>DATA</c> with the message written by MimeKit and dot-stuffed, then <c>QUIT</c>. <see cref="Completion"/> fires
/// with the answer for each recipient once the server accepted the message, or fails with an <see cref="SmtpException"/>
/// (or <see cref="TimeoutException"/>) when nothing was delivered.
/// </summary>
/// <remarks>
/// With <c>PIPELINING</c> offered, <c>MAIL</c>, every <c>RCPT</c> and <c>DATA</c> go out in one write (RFC 2920).
/// Recipients the server refuses are reported in the result; the message goes to the others. When every recipient is
/// refused, or the sender is, the transaction fails and the message is not sent. With <c>SIZE</c> offered, the size is
/// announced (and a message over the server's limit fails before <c>MAIL</c>); with <c>8BITMIME</c> the message may
/// use 8-bit content transfer encoding, otherwise it is prepared as 7-bit; non-ASCII addresses need <c>SMTPUTF8</c>.
/// A message up to 64 KiB is serialised once, at <c>MAIL</c>; a larger one is streamed by MimeKit at <c>354</c> under the
/// transport's backpressure (<see cref="DataProducer"/>), so the client never holds a full copy of it. On a reused
/// connection with <c>PIPELINING</c>, the next message's commands follow the previous message's final <c>.</c> in the
/// same write.
/// </remarks>
public sealed class EsmtpClient : LineReceiver
{
    private readonly SendMailOptions _options;
    private readonly IdleTimeout _idle;
    private readonly IReactorTime _clock;
    // The serialised message between MAIL and DATA (size, and the bytes of a small message); reused per message.
    private readonly MessageCapture _capture = new();
    private readonly Queue<Action<SmtpReply>> _handlers = new();
    private readonly List<string> _replyLines = [];
    // Messages waiting for the connection, in order; _current is the one in flight.
    private readonly Queue<MailTransaction> _queue = new();
    private MailTransaction? _current;
    // A transaction whose data and final "." are written, waiting for the server's answer, while the next one was
    // pipelined behind it (see OnData); null otherwise.
    private MailTransaction? _awaitingEnd;
    private int _replyCode = -1;
    private bool _pipelining;
    private bool _startedTls;
    // Greeted (and logged in): transactions may start.
    private bool _ready;
    // The last transaction on this connection ended before the end of its data (refused sender or recipients, a
    // failure): the server may still hold its state, so the next one starts with RSET. A transaction that reached the
    // final "." is over for the server whatever it answered (RFC 5321 section 4.1.1.4), and the next MAIL needs no
    // RSET: one round trip less per message on a reused connection.
    private bool _needsReset;
    // Keep the connection open when the queue is empty (a reused connection); QUIT otherwise.
    private bool _keepOpen;
    private bool _quitting;
    private Exception? _broken;

    /// <summary>Creates the client protocol for one message; connect it to a transport to send.</summary>
    /// <param name="clock">The reactor (for the reply timeout).</param>
    /// <param name="sender">The envelope sender (<c>MAIL FROM</c>); an empty string for the null reverse-path.</param>
    /// <param name="recipients">The envelope recipients (<c>RCPT TO</c>); at least one.</param>
    /// <param name="message">The message, written with MimeKit (its <c>Bcc</c> headers are not sent).</param>
    /// <param name="options">Timeouts and names; defaults when null.</param>
    public EsmtpClient(IReactorTime clock, string sender, IEnumerable<string> recipients, MimeMessage message, SendMailOptions? options = null)
        : this(clock, options)
    {
        var transaction = new MailTransaction(sender, recipients, message);
        _queue.Enqueue(transaction);
        Completion = transaction.Completion;
        _keepOpen = false;
        // The message's Deferred reports a failed connection; Ready's copy of that failure is not for anyone here.
        Ready.AddErrback(_ => { });
    }

    /// <summary>
    /// Creates a client protocol that keeps its connection for many messages (<see cref="Send(string, IEnumerable{string}, MimeMessage)"/>), one
    /// transaction after another (<c>RSET</c> first when the previous one stopped before its data), until <see cref="Quit"/>: what <see cref="SmtpSender"/> pools.
    /// </summary>
    /// <param name="clock">The reactor (for the reply timeout).</param>
    /// <param name="options">Timeouts, names, TLS and credentials; defaults when null.</param>
    public EsmtpClient(IReactorTime clock, SendMailOptions? options)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _options = options ?? new SendMailOptions();
        MaxLength = _options.MaxReplyLineLength;
        _clock = clock;
        _idle = new IdleTimeout(clock, TimedOut);
        _keepOpen = true;
        Completion = new Deferred<SendMailResult>();
    }

    /// <summary>
    /// The result of the constructor's message. A reused connection (made without a message) never fires it: each
    /// <see cref="Send(string, IEnumerable{string}, MimeMessage)"/> returns its own Deferred, and <see cref="Ready"/> says when the connection can be used.
    /// </summary>
    public Deferred<SendMailResult> Completion { get; }

    /// <summary>The extensions the server offered in its <c>EHLO</c> reply (none after a <c>HELO</c> fallback).</summary>
    public SmtpExtensions Extensions { get; private set; } = SmtpExtensions.None;

    /// <summary>Fires once the server greeted the client (after STARTTLS and AUTH when asked); fails when it cannot be used.</summary>
    public Deferred<bool> Ready { get; } = new();

    /// <summary>Messages queued or in flight on this connection.</summary>
    public int Pending => _queue.Count + (_current is null ? 0 : 1) + (_awaitingEnd is null ? 0 : 1);

    /// <summary>False once the connection failed, was lost or is quitting: <see cref="Send(string, IEnumerable{string}, MimeMessage)"/> would fail at once.</summary>
    public bool IsUsable => _broken is null && !_quitting;

    /// <summary>
    /// Queues a message on this connection; it is sent after those before it (after <c>RSET</c> when the previous one stopped before its data).
    /// A refused message fails its own Deferred and the connection goes on with the next; a lost connection fails every
    /// message not yet accepted.
    /// </summary>
    /// <returns>The answer for each recipient once the server accepted the message, as <see cref="Mail.SendMail"/>'s.</returns>
    public Deferred<SendMailResult> Send(string sender, IEnumerable<string> recipients, MimeMessage message)
    {
        var transaction = new MailTransaction(sender, recipients, message);
        if (_broken is { } broken)
        {
            transaction.Fail(new SmtpException("The connection cannot be used: " + broken.Message, broken));
        }
        else if (_quitting)
        {
            transaction.Fail(new SmtpException("The connection is quitting"));
        }
        else
        {
            _queue.Enqueue(transaction);
            if (_ready && _current is null)
            {
                StartNext();
            }
        }
        return transaction.Completion;
    }

    /// <summary>Sends <c>QUIT</c> once the messages queued are done, then closes (a reused connection; the one-message client quits by itself).</summary>
    public void Quit()
    {
        _keepOpen = false;
        if (_ready && _current is null && _queue.Count == 0)
        {
            SendQuit();
        }
        else if (TransportOrNull is null && !_ready)
        {
            _quitting = true;
        }
    }

    /// <inheritdoc />
    public override void ConnectionMade()
    {
        base.ConnectionMade();
        _idle.SetTimeout(_options.Timeout);
        _handlers.Enqueue(OnGreeting);
    }

    /// <inheritdoc />
    public override void ConnectionLost(Failure reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        _idle.SetTimeout(null);
        Fail(new SmtpException("The connection was lost before the server accepted the message", reason.Value));
        base.ConnectionLost(reason);
    }

    private void TimedOut()
    {
        Fail(new TimeoutException($"No reply from the SMTP server within {_options.Timeout}."));
        Abort();
    }

    /// <inheritdoc />
    protected override void LineLengthExceeded(ReadOnlySpan<byte> line) =>
        ProtocolError($"a reply line longer than {MaxLength} bytes");

    /// <inheritdoc />
    protected override void LineReceived(ReadOnlySpan<byte> line)
    {
        _idle.ResetTimeout();
        if (line.Length < 3 || !IsDigits(line[..3]) || line[0] < (byte)'2' || line[0] > (byte)'5'
            || (line.Length > 3 && line[3] != (byte)' ' && line[3] != (byte)'-'))
        {
            ProtocolError("a malformed reply: " + Printable(line));
            return;
        }
        var code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (_replyCode >= 0 && code != _replyCode)
        {
            ProtocolError($"a multi-line reply whose code changes from {_replyCode} to {code}");
            return;
        }
        _replyCode = code;
        _replyLines.Add(line.Length > 4 ? Encoding.UTF8.GetString(line[4..]) : "");
        if (line.Length > 3 && line[3] == (byte)'-')
        {
            return;
        }
        var reply = new SmtpReply(code, string.Join('\n', _replyLines));
        _replyCode = -1;
        _replyLines.Clear();
        if (!_handlers.TryDequeue(out var handler))
        {
            ProtocolError("a reply nobody asked for: " + reply);
            return;
        }
        try
        {
            handler(reply);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Fail(e);
            Abort();
        }
    }

    private void OnGreeting(SmtpReply reply)
    {
        if (reply.Code != 220)
        {
            FailAndQuit(new SmtpException("The server refused the connection", reply));
            return;
        }
        SendCommand("EHLO " + _options.HeloName, OnEhlo);
    }

    private bool IsEncrypted => TransportOrNull is ISocketTransport { TlsStream: not null };

    private void OnEhlo(SmtpReply reply)
    {
        if (reply.IsPositive)
        {
            Extensions = SmtpExtensions.Parse(reply);
            if (!IsEncrypted && !_startedTls && _options.StartTls is not null && Extensions.StartTls)
            {
                SendCommand("STARTTLS", OnStartTls);
                return;
            }
            if (_options.RequireTransportSecurity && !IsEncrypted)
            {
                FailAndQuit(new SmtpException(_options.StartTls is null
                    ? "Transport security is required but the connection is not TLS and SendMailOptions.StartTls is not set"
                    : "Transport security is required but the server does not offer STARTTLS"));
                return;
            }
            AfterGreeting();
        }
        else if (reply.Code >= 500)
        {
            // An old server without ESMTP (RFC 5321 section 3.2): greet it the old way.
            SendCommand("HELO " + _options.HeloName, OnHelo);
        }
        else
        {
            FailAndQuit(new SmtpException("The server refused EHLO", reply));
        }
    }

    private void OnStartTls(SmtpReply reply)
    {
        if (reply.Code != 220)
        {
            if (_options.RequireTransportSecurity)
            {
                FailAndQuit(new SmtpException("Transport security is required but the server refused STARTTLS", reply));
                return;
            }
            AfterGreeting();
            return;
        }
        if (TransportOrNull is not ITlsTransport tls)
        {
            FailAndQuit(new SmtpException("The transport cannot start TLS"));
            return;
        }
        _startedTls = true;
        // RFC 3207 section 4.2: anything that came in clear after the 220 is not to be trusted.
        ClearLineBuffer();
        tls.StartTls(_options.StartTls!).AddBoth(outcome =>
        {
            if (outcome.Failure is { } failure)
            {
                Fail(new SmtpException("The TLS handshake after STARTTLS failed", failure.Value));
                Abort();
                return false;
            }
            // RFC 3207 section 4.2: forget what the server said in clear and greet it again.
            Extensions = SmtpExtensions.None;
            SendCommand("EHLO " + _options.HeloName, OnEhlo);
            return true;
        });
    }

    private void AfterGreeting()
    {
        if (_options.Credentials is { } credentials)
        {
            Authenticate(credentials);
        }
        else
        {
            BecomeReady();
        }
    }

    private void BecomeReady()
    {
        _ready = true;
        if (!Ready.Called)
        {
            Ready.Callback(true);
        }
        NextOrQuit();
    }

    /// <summary>Between transactions: the next message (after RSET when the last one stopped before its data), QUIT, or wait for more.</summary>
    private void NextOrQuit()
    {
        _current = null;
        if (TransportOrNull is not { Disconnecting: false })
        {
            return;
        }
        if (_queue.Count > 0)
        {
            StartNext();
        }
        else if (!_keepOpen)
        {
            SendQuit();
        }
    }

    private void StartNext()
    {
        _current = _queue.Dequeue();
        if (_needsReset)
        {
            _needsReset = false;
            // RFC 5321 section 4.1.1.5: a clean state for the next transaction, on the same connection.
            SendCommand("RSET", reply =>
            {
                if (!reply.IsPositive)
                {
                    FailAll(new SmtpException("The server refused RSET", reply));
                    SendQuit();
                    return;
                }
                StartTransaction();
            });
            return;
        }
        StartTransaction();
    }

    private void OnHelo(SmtpReply reply)
    {
        if (!reply.IsPositive)
        {
            FailAndQuit(new SmtpException("The server refused HELO", reply));
            return;
        }
        Extensions = SmtpExtensions.None;
        if (_options.RequireTransportSecurity && !IsEncrypted)
        {
            FailAndQuit(new SmtpException("Transport security is required but the server does not offer STARTTLS (it refused EHLO)"));
            return;
        }
        if (_options.Credentials is not null && _options.RequireAuthentication)
        {
            FailAndQuit(new SmtpException("Credentials were given but the server does not offer AUTH (it refused EHLO)"));
            return;
        }
        BecomeReady();
    }

    private void Authenticate(System.Net.NetworkCredential credentials)
    {
        var mechanisms = Extensions.AuthMechanisms;
        var usable = mechanisms.Contains("CRAM-MD5") || mechanisms.Contains("PLAIN") || mechanisms.Contains("LOGIN");
        if (!usable)
        {
            if (_options.RequireAuthentication)
            {
                FailAndQuit(new SmtpException(mechanisms.Count == 0
                    ? "Credentials were given but the server does not offer AUTH"
                    : "Credentials were given but the server offers none of AUTH CRAM-MD5, PLAIN, LOGIN (it offers " + string.Join(' ', mechanisms) + ")"));
            }
            else
            {
                BecomeReady();
            }
            return;
        }
        if (!_options.AllowAuthenticationWithoutTls && !IsEncrypted)
        {
            FailAndQuit(new SmtpException("Refusing to send credentials over a connection without TLS (see SendMailOptions.StartTls and AllowAuthenticationWithoutTls)"));
            return;
        }
        if (mechanisms.Contains("CRAM-MD5"))
        {
            // RFC 2195: the server sends a challenge; the answer is the user name and the HMAC-MD5 of it, keyed with the
            // password, in hex. The password itself never goes over the wire.
            SendCommand("AUTH CRAM-MD5", challenge =>
            {
                if (challenge.Code != 334)
                {
                    FailAndQuit(new SmtpException("The server refused AUTH CRAM-MD5", challenge));
                    return;
                }
                byte[] nonce;
                try
                {
                    nonce = Convert.FromBase64String(challenge.Text.Trim());
                }
                catch (FormatException)
                {
                    ProtocolError("a CRAM-MD5 challenge that is not base64");
                    return;
                }
#pragma warning disable CA5351 // CRAM-MD5 is defined with HMAC-MD5 (RFC 2195); it is the server's choice.
                var digest = HMACMD5.HashData(Encoding.UTF8.GetBytes(credentials.Password), nonce);
#pragma warning restore CA5351
                var answer = credentials.UserName + " " + Convert.ToHexStringLower(digest);
                SendCommand(Convert.ToBase64String(Encoding.UTF8.GetBytes(answer)), OnAuthenticated);
            });
        }
        else if (mechanisms.Contains("PLAIN"))
        {
            // RFC 4616: authorization identity (empty), NUL, user name, NUL, password; as the initial response.
            var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0" + credentials.UserName + "\0" + credentials.Password));
            SendCommand("AUTH PLAIN " + plain, OnAuthenticated);
        }
        else
        {
            // The LOGIN mechanism (draft-murchison-sasl-login): the server asks for the user name, then the password.
            SendCommand("AUTH LOGIN", challenge => ContinueLogin(challenge, credentials.UserName, reply =>
                ContinueLogin(reply, credentials.Password, OnAuthenticated)));
        }
    }

    private void ContinueLogin(SmtpReply challenge, string answer, Action<SmtpReply> next)
    {
        if (challenge.Code != 334)
        {
            FailAndQuit(new SmtpException("The server refused the login", challenge));
            return;
        }
        SendCommand(Convert.ToBase64String(Encoding.UTF8.GetBytes(answer)), next);
    }

    private void OnAuthenticated(SmtpReply reply)
    {
        if (reply.Code != 235)
        {
            FailAndQuit(new SmtpException("The server refused the credentials", reply));
            return;
        }
        BecomeReady();
    }

    private void StartTransaction()
    {
        // Until the end of the data is answered, an interruption leaves the server mid-transaction.
        _needsReset = true;
        var t = _current!;
        var international = !Ascii.IsValid(t.Sender) || t.Recipients.Any(r => !Ascii.IsValid(r));
        if (international && !Extensions.SmtpUtf8)
        {
            FailTransaction(new SmtpException("A non-ASCII address needs SMTPUTF8, which the server does not offer"));
            return;
        }
        t.Message.Prepare(Extensions.EightBitMime ? EncodingConstraint.EightBit : EncodingConstraint.SevenBit, 998);
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.International = international;
        format.HiddenHeaders.Add(HeaderId.Bcc);
        format.HiddenHeaders.Add(HeaderId.ResentBcc);
        t.Format = format;

        // One serialisation: it gives the size for SIZE= and, for a message up to 64 KiB, the bytes sent at 354 (see
        // MessageCapture); a larger message is only counted here and streamed under backpressure at 354.
        _capture.Reset();
        t.Message.WriteTo(format, _capture);
        var mail = new StringBuilder("MAIL FROM:<").Append(t.Sender).Append('>');
        if (Extensions.Size)
        {
            var size = _capture.Length;
            if (Extensions.MaxSize is { } max && size > max)
            {
                FailTransaction(new SmtpException($"The message ({size} bytes) is larger than the server's limit ({max} bytes)"));
                return;
            }
            mail.Append(" SIZE=").Append(size.ToString(CultureInfo.InvariantCulture));
        }
        if (Extensions.EightBitMime)
        {
            mail.Append(" BODY=8BITMIME");
        }
        if (international)
        {
            mail.Append(" SMTPUTF8");
        }

        _pipelining = _options.UsePipelining && Extensions.Pipelining;
        if (_pipelining)
        {
            // RFC 2920: MAIL, RCPT and DATA may go in one group; the replies come back in order.
            var group = new StringBuilder();
            group.Append(mail).Append("\r\n");
            _handlers.Enqueue(OnMail);
            for (var i = 0; i < t.Recipients.Length; i++)
            {
                group.Append("RCPT TO:<").Append(t.Recipients[i]).Append(">\r\n");
                var index = i;
                _handlers.Enqueue(reply => OnRecipient(index, reply));
            }
            group.Append("DATA\r\n");
            _handlers.Enqueue(OnData);
            Transport.Write(Encoding.UTF8.GetBytes(group.ToString()));
        }
        else
        {
            SendCommand(mail.ToString(), OnMail);
        }
    }

    private void OnMail(SmtpReply reply)
    {
        if (reply.IsPositive)
        {
            if (!_pipelining)
            {
                SendRecipient(0);
            }
            return;
        }
        _current!.SenderRefused = reply;
        if (!_pipelining)
        {
            FailTransaction(new SmtpException("The server refused the sender", reply));
        }
    }

    private void SendRecipient(int index) =>
        SendCommand("RCPT TO:<" + _current!.Recipients[index] + ">", reply => OnRecipient(index, reply));

    private void OnRecipient(int index, SmtpReply reply)
    {
        var t = _current!;
        t.Results[index] = new RecipientResult(t.Recipients[index], reply);
        if (_pipelining)
        {
            return;
        }
        if (index + 1 < t.Recipients.Length)
        {
            SendRecipient(index + 1);
        }
        else if (!t.AnyAccepted())
        {
            FailTransaction(t.NoRecipients());
        }
        else
        {
            SendCommand("DATA", OnData);
        }
    }

    private void OnData(SmtpReply reply)
    {
        var t = _current!;
        var refusal = t.SenderRefused is { } refused
            ? new SmtpException("The server refused the sender", refused)
            : !t.AnyAccepted() ? t.NoRecipients() : null;
        if (reply.Code != 354)
        {
            FailTransaction(refusal ?? new SmtpException("The server refused DATA", reply, t.FinalResults()));
            return;
        }
        if (refusal is not null)
        {
            // A pipelining server that answered DATA with 354 although nothing is accepted: send an empty message
            // (RFC 2920 section 3.1) and give up on this one once it answers.
            Transport.Write(".\r\n"u8);
            _handlers.Enqueue(_ => FailTransaction(refusal));
            return;
        }
        _handlers.Enqueue(end => OnEndOfData(t, end));
        if (_capture.Complete)
        {
            // A small message, serialised at MAIL time: one write (the transport copies it; the capture is reused).
            var data = new DotStuffingStream(Transport);
            data.Write(_capture.Captured);
            data.Finish();
            if (_pipelining && _queue.Count > 0)
            {
                // RFC 2920: the message content may start a group, and after its "." the transaction is over for the
                // server whatever it answers, so the next message's MAIL, RCPT and DATA go out now, behind it, without
                // waiting for that answer (or an RSET): one round trip per message on a busy connection. The replies
                // come back in order: this message's first.
                _awaitingEnd = t;
                _current = null;
                _needsReset = false;
                StartNext();
            }
            return;
        }
        // A large one: MimeKit writes it again, suspended whenever the transport's buffer is full.
        new DataProducer(Transport, _clock, _idle.ResetTimeout).Start(t.Message, t.Format!).AddErrback(failure =>
        {
            // MimeKit failed (or the connection went): the message must not end with a "." now, or the server would
            // take a truncated message. Drop the connection; ConnectionLost fails the message (nothing reported sent).
            if (TransportOrNull is { Disconnecting: false } && ReferenceEquals(_current, t))
            {
                Fail(new SmtpException("Writing the message failed: " + failure.Value.Message, failure.Value));
                Abort();
            }
        });
    }

    private void OnEndOfData(MailTransaction t, SmtpReply reply)
    {
        if (reply.IsPositive)
        {
            t.Succeed(new SendMailResult(t.FinalResults(), reply));
        }
        else
        {
            t.Fail(new SmtpException("The server refused the message", reply, t.FinalResults()));
        }
        if (ReferenceEquals(_awaitingEnd, t))
        {
            // The next transaction is already under way behind this one.
            _awaitingEnd = null;
            return;
        }
        _needsReset = false;
        NextOrQuit();
    }

    /// <summary>This message failed (refused, too large...): the connection goes on with the next.</summary>
    private void FailTransaction(Exception reason)
    {
        _current?.Fail(reason);
        NextOrQuit();
    }

    private void SendCommand(string command, Action<SmtpReply> handler)
    {
        _handlers.Enqueue(handler);
        SendLine(Encoding.UTF8.GetBytes(command));
    }

    private void SendQuit()
    {
        _quitting = true;
        if (TransportOrNull is not { Disconnecting: false })
        {
            return;
        }
        SendCommand("QUIT", _ => Transport.LoseConnection());
    }

    private void Abort()
    {
        _idle.SetTimeout(null);
        TransportOrNull?.AbortConnection();
    }

    /// <summary>The connection cannot go on (greeting, EHLO, TLS or AUTH failed): every message fails, then QUIT.</summary>
    private void FailAndQuit(Exception reason)
    {
        Fail(reason);
        SendQuit();
    }

    private void ProtocolError(string what)
    {
        Fail(new SmtpException("The SMTP server sent " + what));
        Abort();
    }

    /// <summary>Fails the connection: the message in flight and every message queued (also <see cref="Ready"/>).</summary>
    internal void Fail(Exception reason)
    {
        _broken ??= reason;
        if (!Ready.Called)
        {
            Ready.Errback(reason);
        }
        FailAll(reason);
    }

    private void FailAll(Exception reason)
    {
        _awaitingEnd?.Fail(reason);
        _awaitingEnd = null;
        _current?.Fail(reason);
        _current = null;
        while (_queue.TryDequeue(out var waiting))
        {
            waiting.Fail(reason);
        }
    }

    private static bool IsDigits(ReadOnlySpan<byte> span)
    {
        foreach (var b in span)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }
        return true;
    }

    private static string Printable(ReadOnlySpan<byte> line)
    {
        var text = Encoding.Latin1.GetString(line[..Math.Min(line.Length, 80)]);
        return "\"" + text + (line.Length > 80 ? "...\"" : "\"");
    }
}
