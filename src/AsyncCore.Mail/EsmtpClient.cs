using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AsyncCore.Protocols;
using AsyncCore.Transports;
using MimeKit;
using MimeKit.IO;

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
/// </remarks>
public sealed class EsmtpClient : LineReceiver
{
    private readonly string _sender;
    private readonly string[] _recipients;
    private readonly MimeMessage _message;
    private readonly SendMailOptions _options;
    private readonly IdleTimeout _idle;
    private readonly Queue<Action<SmtpReply>> _handlers = new();
    private readonly List<string> _replyLines = [];
    private readonly RecipientResult?[] _results;
    private int _replyCode = -1;
    private bool _pipelining;
    private SmtpReply? _senderRefused;
    private FormatOptions? _format;
    private bool _done;
    private bool _startedTls;

    /// <summary>Creates the client protocol for one message; connect it to a transport to send.</summary>
    /// <param name="clock">The reactor (for the reply timeout).</param>
    /// <param name="sender">The envelope sender (<c>MAIL FROM</c>); an empty string for the null reverse-path.</param>
    /// <param name="recipients">The envelope recipients (<c>RCPT TO</c>); at least one.</param>
    /// <param name="message">The message, written with MimeKit (its <c>Bcc</c> headers are not sent).</param>
    /// <param name="options">Timeouts and names; defaults when null.</param>
    public EsmtpClient(IReactorTime clock, string sender, IEnumerable<string> recipients, MimeMessage message, SendMailOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(recipients);
        _message = message ?? throw new ArgumentNullException(nameof(message));
        _recipients = recipients.ToArray();
        if (_recipients.Length == 0)
        {
            throw new ArgumentException("At least one recipient is needed.", nameof(recipients));
        }
        foreach (var address in _recipients.Append(sender))
        {
            if (address.AsSpan().IndexOfAny("<>\r\n ") >= 0)
            {
                throw new ArgumentException($"Not an address: \"{address}\".", nameof(recipients));
            }
        }
        _sender = sender;
        _options = options ?? new SendMailOptions();
        _results = new RecipientResult?[_recipients.Length];
        MaxLength = _options.MaxReplyLineLength;
        _idle = new IdleTimeout(clock, TimedOut);
    }

    /// <summary>Fires with the per-recipient results once the server accepted the message; fails when nothing was delivered.</summary>
    public Deferred<SendMailResult> Completion { get; } = new();

    /// <summary>The extensions the server offered in its <c>EHLO</c> reply (none after a <c>HELO</c> fallback).</summary>
    public SmtpExtensions Extensions { get; private set; } = SmtpExtensions.None;

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
        Send("EHLO " + _options.HeloName, OnEhlo);
    }

    private bool IsEncrypted => TransportOrNull is ISocketTransport { TlsStream: not null };

    private void OnEhlo(SmtpReply reply)
    {
        if (reply.IsPositive)
        {
            Extensions = SmtpExtensions.Parse(reply);
            if (!IsEncrypted && !_startedTls && _options.StartTls is not null && Extensions.StartTls)
            {
                Send("STARTTLS", OnStartTls);
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
            Send("HELO " + _options.HeloName, OnHelo);
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
            Send("EHLO " + _options.HeloName, OnEhlo);
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
            StartTransaction();
        }
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
        StartTransaction();
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
                StartTransaction();
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
            Send("AUTH CRAM-MD5", challenge =>
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
                Send(Convert.ToBase64String(Encoding.UTF8.GetBytes(answer)), OnAuthenticated);
            });
        }
        else if (mechanisms.Contains("PLAIN"))
        {
            // RFC 4616: authorization identity (empty), NUL, user name, NUL, password; as the initial response.
            var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0" + credentials.UserName + "\0" + credentials.Password));
            Send("AUTH PLAIN " + plain, OnAuthenticated);
        }
        else
        {
            // The LOGIN mechanism (draft-murchison-sasl-login): the server asks for the user name, then the password.
            Send("AUTH LOGIN", challenge => ContinueLogin(challenge, credentials.UserName, reply =>
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
        Send(Convert.ToBase64String(Encoding.UTF8.GetBytes(answer)), next);
    }

    private void OnAuthenticated(SmtpReply reply)
    {
        if (reply.Code != 235)
        {
            FailAndQuit(new SmtpException("The server refused the credentials", reply));
            return;
        }
        StartTransaction();
    }

    private void StartTransaction()
    {
        var international = !Ascii.IsValid(_sender) || _recipients.Any(r => !Ascii.IsValid(r));
        if (international && !Extensions.SmtpUtf8)
        {
            FailAndQuit(new SmtpException("A non-ASCII address needs SMTPUTF8, which the server does not offer"));
            return;
        }
        _message.Prepare(Extensions.EightBitMime ? EncodingConstraint.EightBit : EncodingConstraint.SevenBit, 998);
        _format = FormatOptions.Default.Clone();
        _format.NewLineFormat = NewLineFormat.Dos;
        _format.International = international;
        _format.HiddenHeaders.Add(HeaderId.Bcc);
        _format.HiddenHeaders.Add(HeaderId.ResentBcc);

        var mail = new StringBuilder("MAIL FROM:<").Append(_sender).Append('>');
        if (Extensions.Size)
        {
            // Measured by writing through a counting stream: nothing is buffered.
            using var measure = new MeasuringStream();
            _message.WriteTo(_format, measure);
            var size = measure.Length;
            if (Extensions.MaxSize is { } max && size > max)
            {
                FailAndQuit(new SmtpException($"The message ({size} bytes) is larger than the server's limit ({max} bytes)"));
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
            for (var i = 0; i < _recipients.Length; i++)
            {
                group.Append("RCPT TO:<").Append(_recipients[i]).Append(">\r\n");
                var index = i;
                _handlers.Enqueue(reply => OnRecipient(index, reply));
            }
            group.Append("DATA\r\n");
            _handlers.Enqueue(OnData);
            Transport.Write(Encoding.UTF8.GetBytes(group.ToString()));
        }
        else
        {
            Send(mail.ToString(), OnMail);
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
        _senderRefused = reply;
        if (!_pipelining)
        {
            FailAndQuit(new SmtpException("The server refused the sender", reply));
        }
    }

    private void SendRecipient(int index) =>
        Send("RCPT TO:<" + _recipients[index] + ">", reply => OnRecipient(index, reply));

    private void OnRecipient(int index, SmtpReply reply)
    {
        _results[index] = new RecipientResult(_recipients[index], reply);
        if (_pipelining)
        {
            return;
        }
        if (index + 1 < _recipients.Length)
        {
            SendRecipient(index + 1);
        }
        else if (!AnyAccepted())
        {
            FailAndQuit(NoRecipients());
        }
        else
        {
            Send("DATA", OnData);
        }
    }

    private void OnData(SmtpReply reply)
    {
        var refusal = _senderRefused is { } refused
            ? new SmtpException("The server refused the sender", refused)
            : !AnyAccepted() ? NoRecipients() : null;
        if (reply.Code != 354)
        {
            FailAndQuit(refusal ?? new SmtpException("The server refused DATA", reply, Results()));
            return;
        }
        if (refusal is not null)
        {
            // A pipelining server that answered DATA with 354 although nothing is accepted: send an empty message
            // (RFC 2920 section 3.1) and give up once it answers.
            Transport.Write(".\r\n"u8);
            _handlers.Enqueue(_ => FailAndQuit(refusal));
            return;
        }
        var data = new DotStuffingStream(Transport);
        _message.WriteTo(_format!, data);
        data.Finish();
        _handlers.Enqueue(OnEndOfData);
    }

    private void OnEndOfData(SmtpReply reply)
    {
        if (!reply.IsPositive)
        {
            FailAndQuit(new SmtpException("The server refused the message", reply, Results()));
            return;
        }
        if (!_done)
        {
            _done = true;
            Completion.Callback(new SendMailResult(Results(), reply));
        }
        Quit();
    }

    private bool AnyAccepted() => _results.Any(r => r is { Accepted: true });

    private RecipientResult[] Results() =>
        _results.Select((r, i) => r ?? new RecipientResult(_recipients[i], new SmtpReply(554, "no reply"))).ToArray();

    private SmtpException NoRecipients() => new("The server refused every recipient", null, Results());

    private void Send(string command, Action<SmtpReply> handler)
    {
        _handlers.Enqueue(handler);
        SendLine(Encoding.UTF8.GetBytes(command));
    }

    private void Quit()
    {
        if (TransportOrNull is not { Disconnecting: false })
        {
            return;
        }
        Send("QUIT", _ => Transport.LoseConnection());
    }

    private void Abort()
    {
        _idle.SetTimeout(null);
        TransportOrNull?.AbortConnection();
    }

    private void FailAndQuit(Exception reason)
    {
        Fail(reason);
        Quit();
    }

    private void ProtocolError(string what)
    {
        Fail(new SmtpException("The SMTP server sent " + what));
        Abort();
    }

    internal void Fail(Exception reason)
    {
        if (_done)
        {
            return;
        }
        _done = true;
        Completion.Errback(reason);
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
