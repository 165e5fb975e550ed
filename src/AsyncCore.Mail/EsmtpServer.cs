using System.Globalization;
using System.Text;
using AsyncCore.Protocols;
using AsyncCore.Transports;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Mail;

/// <summary>
/// The server side of an ESMTP conversation (RFC 5321; Twisted's <c>smtp.ESMTP</c>): <c>EHLO</c>/<c>HELO</c>,
/// <c>MAIL</c>, <c>RCPT</c>, <c>DATA</c>, <c>RSET</c>, <c>NOOP</c>, <c>VRFY</c>, <c>QUIT</c>, with <c>PIPELINING</c>,
/// <c>SIZE</c>, <c>8BITMIME</c> and <c>SMTPUTF8</c> advertised. Senders, recipients and messages go to an
/// <see cref="IMailDelivery"/>.
/// </summary>
/// <remarks>
/// <para>Why SMTP is written here rather than taken from a library: the .NET SMTP servers that exist (SmtpServer,
/// MailKit has no server at all) own their sockets and run on tasks and the thread pool, so they cannot run as a
/// <see cref="Protocol"/> on a reactor transport, over TLS endpoints, or on the in-memory loopback that tests use. The
/// protocol itself is small; MIME, the hard part, is left to MimeKit on the client side and to the application here
/// (the message is handed over as bytes).</para>
/// <para>Bad input gets a 5xx reply and the connection stays open, as RFC 5321 asks: unknown or malformed commands
/// (500/501), commands out of sequence (503), over-long command lines (500 5.5.2, the rest of the line is skipped), a
/// message over the size limit (552, after the whole DATA section is read and thrown away). Commands that arrive
/// together (pipelining) are answered in order; while the delivery has not answered one, the next is not read.</para>
/// <para>A message receiver that cannot keep up pauses the reading of its message through the push producer
/// <see cref="IMailMessageReceiver.Start"/> gives it (backpressure down to the client's TCP window); the server lifts
/// that pause and ignores the handle once the message ends.</para>
/// </remarks>
public sealed class EsmtpServer : LineReceiver
{
    private static readonly Action<ILogger, Exception?> s_deliveryFailed =
        LoggerMessage.Define(LogLevel.Error, new EventId(1, "DeliveryFailed"), "Mail delivery failed; the client is told 451");

    private readonly IReactorTime _clock;
    private readonly IMailDelivery _delivery;
    private readonly EsmtpServerOptions _options;
    private readonly IdleTimeout _idle;
    private string? _helo;
    private MailEnvelope? _envelope;
    private DataDecoder? _decoder;
    private IMailMessageReceiver? _receiver;
    // The receiver's handle on the reading of its message; detached when the message ends.
    private MessageReading? _reading;
    // A receiver stopped its message: the connection is closing and is never read again.
    private bool _readingStopped;
    private long _received;
    private bool _messageTooLarge;
    private bool _skippingLongLine;
    private bool _waiting;
    private string? _authenticatedUser;
    // The next line answers an AUTH challenge (a 334 reply) rather than being a command.
    private Action<string>? _authContinuation;

    /// <summary>Creates a server protocol; usually built by an <see cref="EsmtpServerFactory"/>.</summary>
    public EsmtpServer(IReactorTime clock, IMailDelivery delivery, EsmtpServerOptions? options = null)
    {
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _delivery = delivery ?? throw new ArgumentNullException(nameof(delivery));
        _options = options ?? new EsmtpServerOptions();
        MaxLength = _options.MaxCommandLength;
        _idle = new IdleTimeout(_clock, IdleTimedOut);
    }

    /// <inheritdoc />
    public override void ConnectionMade()
    {
        base.ConnectionMade();
        _idle.SetTimeout(_options.IdleTimeout);
        Reply(220, _options.HostName + " ESMTP AsyncCore");
    }

    /// <inheritdoc />
    public override void DataReceived(ReadOnlySpan<byte> data)
    {
        _idle.ResetTimeout();
        base.DataReceived(data);
    }

    /// <inheritdoc />
    public override void ConnectionLost(Failure reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        _idle.SetTimeout(null);
        // Nothing to resume on a connection that is gone.
        _reading?.Detach();
        _reading = null;
        if (_receiver is { } receiver && !_messageTooLarge)
        {
            _receiver = null;
            receiver.Abort(new SmtpException("The connection was lost before the end of the message", reason.Value));
        }
        _receiver = null;
        base.ConnectionLost(reason);
    }

    private void IdleTimedOut()
    {
        if (TransportOrNull is { Disconnecting: false } transport)
        {
            Reply(421, "4.4.2 " + _options.HostName + " idle timeout, closing connection");
            transport.LoseConnection();
        }
    }

    /// <inheritdoc />
    protected override void LineLengthExceeded(ReadOnlySpan<byte> line)
    {
        var end = line.IndexOf("\r\n"u8);
        if (end < 0)
        {
            // An unfinished line: say so once and skip what is left of it when its CRLF comes.
            if (!_skippingLongLine)
            {
                Reply(500, "5.5.2 Line too long");
            }
            _skippingLongLine = true;
            return;
        }
        if (!_skippingLongLine)
        {
            Reply(500, "5.5.2 Line too long");
        }
        _skippingLongLine = false;
        var rest = line[(end + 2)..];
        if (!rest.IsEmpty)
        {
            // The line receiver dropped the buffer with the long line; the commands after it are appended again
            // and parsed on the next turn of the reactor (the parser does not look at the buffer again in this call).
            DataReceived(rest);
            _clock.CallLater(TimeSpan.Zero, () =>
            {
                if (TransportOrNull is { Disconnecting: false })
                {
                    DataReceived([]);
                }
            });
        }
    }

    /// <inheritdoc />
    protected override void LineReceived(ReadOnlySpan<byte> line)
    {
        if (_skippingLongLine)
        {
            _skippingLongLine = false;
            return;
        }
        // Latin-1 keeps every byte as one char, so a UTF-8 address (SMTPUTF8) survives until it is decoded below.
        var text = Encoding.Latin1.GetString(line);
        if (_authContinuation is { } continuation)
        {
            _authContinuation = null;
            continuation(text.Trim());
            return;
        }
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var verb = (space < 0 ? text : text[..space]).ToUpperInvariant();
        var argument = space < 0 ? "" : text[(space + 1)..].Trim();
        switch (verb)
        {
            case "EHLO":
                Hello(argument, extended: true);
                break;
            case "HELO":
                Hello(argument, extended: false);
                break;
            case "MAIL":
                Mail(argument);
                break;
            case "RCPT":
                Recipient(argument);
                break;
            case "DATA":
                Data(argument);
                break;
            case "STARTTLS":
                StartTls(argument);
                break;
            case "AUTH":
                Auth(argument);
                break;
            case "RSET":
                _envelope = null;
                Reply(250, "2.0.0 OK");
                break;
            case "NOOP":
                Reply(250, "2.0.0 OK");
                break;
            case "VRFY":
                Reply(252, "2.5.0 Cannot VRFY user, but will accept message and attempt delivery");
                break;
            case "QUIT":
                Reply(221, "2.0.0 " + _options.HostName + " closing connection");
                Transport.LoseConnection();
                break;
            default:
                Reply(500, "5.5.2 Command unrecognized");
                break;
        }
    }

    private void Hello(string domain, bool extended)
    {
        if (domain.Length == 0 || domain.Contains(' ', StringComparison.Ordinal))
        {
            Reply(501, "5.5.4 Syntax: " + (extended ? "EHLO" : "HELO") + " domain");
            return;
        }
        _helo = domain;
        _envelope = null;
        if (!extended)
        {
            Reply(250, _options.HostName);
            return;
        }
        var lines = new List<string>
        {
            _options.HostName + " greets " + domain,
            "PIPELINING",
            "SIZE " + _options.MaxMessageSize.ToString(CultureInfo.InvariantCulture),
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
        };
        if (_options.StartTls is not null && !IsEncrypted)
        {
            lines.Add("STARTTLS");
        }
        if (_options.CredentialChecker is not null && (IsEncrypted || _options.AllowAuthenticationWithoutTls))
        {
            lines.Add("AUTH PLAIN LOGIN");
        }
        Reply(250, string.Join('\n', lines));
    }

    private bool IsEncrypted => TransportOrNull is ISocketTransport { TlsStream: not null };

    private void StartTls(string argument)
    {
        if (_options.StartTls is not { } options)
        {
            Reply(502, "5.5.1 STARTTLS not offered");
            return;
        }
        if (argument.Length > 0)
        {
            Reply(501, "5.5.4 Syntax: STARTTLS");
            return;
        }
        if (IsEncrypted)
        {
            Reply(503, "5.5.1 TLS already active");
            return;
        }
        if (TransportOrNull is not ITlsTransport tls)
        {
            Reply(454, "4.7.0 TLS not available");
            return;
        }
        Reply(220, "2.0.0 Ready to start TLS");
        // RFC 3207 section 4.2: forget everything learned in clear, and drop what the client sent after STARTTLS
        // before the handshake (a command injected there must not run as if it came over TLS).
        ClearLineBuffer();
        _helo = null;
        _envelope = null;
        _authenticatedUser = null;
        // A failed handshake closes the connection; nothing else to do.
        tls.StartTls(options).AddErrback(_ => { });
    }

    private void Auth(string argument)
    {
        if (_options.CredentialChecker is not { } checker)
        {
            Reply(502, "5.5.1 AUTH not offered");
            return;
        }
        if (_helo is null)
        {
            Reply(503, "5.5.1 Send EHLO first");
            return;
        }
        if (_authenticatedUser is not null)
        {
            Reply(503, "5.5.1 Already authenticated");
            return;
        }
        if (_envelope is not null)
        {
            Reply(503, "5.5.1 AUTH not permitted during a mail transaction");
            return;
        }
        if (!IsEncrypted && !_options.AllowAuthenticationWithoutTls)
        {
            Reply(538, "5.7.11 Encryption required for requested authentication mechanism");
            return;
        }
        var parts = argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var mechanism = parts.Length > 0 ? parts[0].ToUpperInvariant() : "";
        var initial = parts.Length > 1 ? parts[1] : null;
        switch (mechanism)
        {
            case "PLAIN":
                if (initial is null)
                {
                    Reply(334, "");
                    _authContinuation = response => FinishPlain(checker, response);
                }
                else
                {
                    FinishPlain(checker, initial);
                }
                break;
            case "LOGIN":
                void AskPassword(string userResponse)
                {
                    if (!TryDecodeResponse(userResponse, out var user))
                    {
                        return;
                    }
                    Reply(334, "UGFzc3dvcmQ6");
                    _authContinuation = passwordResponse =>
                    {
                        if (TryDecodeResponse(passwordResponse, out var password))
                        {
                            CheckCredentials(checker, user, password);
                        }
                    };
                }
                if (initial is null)
                {
                    Reply(334, "VXNlcm5hbWU6");
                    _authContinuation = AskPassword;
                }
                else
                {
                    AskPassword(initial);
                }
                break;
            default:
                Reply(504, "5.5.4 Unrecognized authentication type");
                break;
        }
    }

    private void FinishPlain(SmtpCredentialChecker checker, string response)
    {
        if (!TryDecodeResponse(response, out var decoded))
        {
            return;
        }
        // RFC 4616: authorization identity, NUL, authentication identity, NUL, password.
        var fields = decoded.Split('\0');
        if (fields.Length != 3 || fields[1].Length == 0 || (fields[0].Length > 0 && fields[0] != fields[1]))
        {
            Reply(535, "5.7.8 Authentication credentials invalid");
            return;
        }
        CheckCredentials(checker, fields[1], fields[2]);
    }

    private bool TryDecodeResponse(string response, out string decoded)
    {
        decoded = "";
        if (response == "*")
        {
            Reply(501, "5.0.0 Authentication cancelled");
            return false;
        }
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(response));
            return true;
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            Reply(501, "5.5.2 Cannot decode response");
            return false;
        }
    }

    private void CheckCredentials(SmtpCredentialChecker checker, string user, string password)
    {
        Deferred<bool> check;
        try
        {
            check = checker(user, password);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            check = Deferred.Fail<bool>(e);
        }
        var answer = check.AddCallback(ok => ok
            ? new SmtpReply(235, "2.7.0 Authentication successful")
            : new SmtpReply(535, "5.7.8 Authentication credentials invalid"));
        Ask(answer, reply =>
        {
            if (reply.Code == 235)
            {
                _authenticatedUser = user;
            }
        });
    }

    private void Mail(string argument)
    {
        if (_helo is null)
        {
            Reply(503, "5.5.1 Send EHLO or HELO first");
            return;
        }
        if (_envelope is not null)
        {
            Reply(503, "5.5.1 Sender already given");
            return;
        }
        if (_options.RequireTls && !IsEncrypted)
        {
            Reply(530, "5.7.0 Must issue a STARTTLS command first");
            return;
        }
        if (_options.RequireAuthentication && _authenticatedUser is null)
        {
            Reply(530, "5.7.0 Authentication required");
            return;
        }
        if (!TryParsePath(argument, "FROM:", out var sender, out var parameters))
        {
            Reply(501, "5.5.4 Syntax: MAIL FROM:<address>");
            return;
        }
        var envelope = new MailEnvelope(_helo, TransportOrNull?.GetPeer())
        {
            AuthenticatedUser = _authenticatedUser,
            Encrypted = IsEncrypted,
        };
        foreach (var parameter in parameters)
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            var key = (equals < 0 ? parameter : parameter[..equals]).ToUpperInvariant();
            var value = equals < 0 ? null : parameter[(equals + 1)..];
            switch (key)
            {
                case "SIZE" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size):
                    if (size > _options.MaxMessageSize)
                    {
                        Reply(552, "5.3.4 Message size exceeds fixed maximum message size");
                        return;
                    }
                    envelope.DeclaredSize = size;
                    break;
                case "BODY" when string.Equals(value, "8BITMIME", StringComparison.OrdinalIgnoreCase):
                    envelope.EightBitMime = true;
                    break;
                case "BODY" when string.Equals(value, "7BIT", StringComparison.OrdinalIgnoreCase):
                    break;
                case "SMTPUTF8" when value is null:
                    envelope.SmtpUtf8 = true;
                    break;
                default:
                    Reply(555, "5.5.4 Unsupported parameter " + parameter);
                    return;
            }
        }
        if (!TryDecode(sender, envelope.SmtpUtf8, out var decoded))
        {
            Reply(553, "5.6.7 Non-ASCII address without SMTPUTF8");
            return;
        }
        Ask(_delivery.ValidateSender(envelope, decoded), reply =>
        {
            if (reply.IsPositive)
            {
                envelope.Sender = decoded;
                _envelope = envelope;
            }
        });
    }

    private void Recipient(string argument)
    {
        if (_envelope is not { } envelope)
        {
            Reply(503, "5.5.1 Need MAIL before RCPT");
            return;
        }
        if (!TryParsePath(argument, "TO:", out var recipient, out var parameters) || recipient.Length == 0)
        {
            Reply(501, "5.5.4 Syntax: RCPT TO:<address>");
            return;
        }
        if (parameters.Count > 0)
        {
            Reply(555, "5.5.4 Unsupported parameter " + parameters[0]);
            return;
        }
        if (envelope.Recipients.Count >= _options.MaxRecipients)
        {
            Reply(452, "4.5.3 Too many recipients");
            return;
        }
        if (!TryDecode(recipient, envelope.SmtpUtf8, out var decoded))
        {
            Reply(553, "5.6.7 Non-ASCII address without SMTPUTF8");
            return;
        }
        Ask(_delivery.ValidateRecipient(envelope, decoded), reply =>
        {
            if (reply.IsPositive && ReferenceEquals(_envelope, envelope))
            {
                envelope.AddRecipient(decoded);
            }
        });
    }

    private void Data(string argument)
    {
        if (argument.Length > 0)
        {
            Reply(501, "5.5.4 Syntax: DATA");
            return;
        }
        if (_envelope is null)
        {
            Reply(503, "5.5.1 Need MAIL before DATA");
            return;
        }
        if (_envelope.Recipients.Count == 0)
        {
            Reply(554, "5.5.1 No valid recipients");
            return;
        }
        IMailMessageReceiver receiver;
        try
        {
            receiver = _delivery.ReceiveMessage(_envelope);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            s_deliveryFailed(AsyncCoreLogging.LoggerFactory.CreateLogger<EsmtpServer>(), e);
            Reply(451, "4.3.0 Local error in processing");
            return;
        }
        // The receiver may pause at once (its file is not open yet): the 354 still goes out, and the message is read
        // once it resumes.
        _reading = new MessageReading(this);
        try
        {
            receiver.Start(_reading);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            DetachReading();
            s_deliveryFailed(AsyncCoreLogging.LoggerFactory.CreateLogger<EsmtpServer>(), e);
            receiver.Abort(e);
            Reply(451, "4.3.0 Local error in processing");
            return;
        }
        Reply(354, "Start mail input; end with <CRLF>.<CRLF>");
        _decoder = new DataDecoder();
        _receiver = receiver;
        _received = 0;
        _messageTooLarge = false;
        SetRawMode();
    }

    /// <summary>
    /// The receiver paused or resumed its message, or the server started or stopped waiting for an answer: reading goes
    /// on only when neither holds it.
    /// </summary>
    internal void ReadingChanged()
    {
        var pause = _waiting || _reading is { Paused: true };
        if (pause == Paused)
        {
            return;
        }
        if (pause)
        {
            PauseProducing();
        }
        else if (!_readingStopped && TransportOrNull is { Disconnecting: false })
        {
            // Delivers what was read before the pause (and kept) before anything new is read.
            ResumeProducing();
        }
    }

    /// <summary>The receiver stopped its message (<see cref="IProducer.StopProducing"/>): nothing more is passed on, and the connection closes.</summary>
    internal void StopReading()
    {
        _readingStopped = true;
        ReadingChanged();
        TransportOrNull?.StopProducing();
    }

    /// <summary>The message is over: the receiver's handle stops working, and a pause it left behind is lifted.</summary>
    private void DetachReading()
    {
        if (_reading is not { } reading)
        {
            return;
        }
        _reading = null;
        if (reading.Detach())
        {
            ReadingChanged();
        }
    }

    /// <inheritdoc />
    protected override void RawDataReceived(ReadOnlySpan<byte> data)
    {
        // The message goes to the receiver as it is decoded, chunk by chunk: the server keeps none of it.
        var consumed = _decoder!.Decode(data, Append, out var ended);
        if (!ended)
        {
            if (consumed < data.Length)
            {
                // The receiver paused in the middle of what was read: the rest is kept, in order, and passed on when
                // it resumes (the line receiver delivers nothing while paused, and the transport reads nothing).
                DataReceived(data[consumed..]);
            }
            return;
        }
        var receiver = _receiver!;
        _decoder = null;
        _receiver = null;
        _envelope = null;
        // Before EndOfMessage, as Twisted's HTTP client stops its body protocol's transport proxy: the receiver's
        // handle no longer reaches the connection, whose next commands are read whatever the receiver does with it.
        DetachReading();
        SetLineMode(data[consumed..]);
        if (_messageTooLarge)
        {
            Reply(552, "5.3.4 Message size exceeds fixed maximum message size");
            return;
        }
        Deferred<SmtpReply> answer;
        try
        {
            answer = receiver.EndOfMessage();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            answer = Deferred.Fail<SmtpReply>(e);
        }
        Ask(answer, _ => { });
    }

    /// <summary>Passes decoded bytes on; returns false when the receiver paused (decoding stops after them).</summary>
    private bool Append(ReadOnlySpan<byte> bytes)
    {
        if (_messageTooLarge)
        {
            return true;
        }
        _received += bytes.Length;
        if (_received > _options.MaxMessageSize)
        {
            // Keep reading to the end marker (the client cannot be stopped mid-DATA) but pass nothing on; the receiver
            // no longer holds the reading.
            _messageTooLarge = true;
            DetachReading();
            _receiver!.Abort(new SmtpException("The message is larger than the server's limit", new SmtpReply(552, "5.3.4 Message size exceeds fixed maximum message size")));
            return true;
        }
        _receiver!.DataReceived(bytes);
        return _reading is not { Paused: true };
    }

    /// <summary>
    /// Sends the delivery's answer once it is there. Until then no further command is read (the transport is paused),
    /// so pipelined commands are answered in order.
    /// </summary>
    private void Ask(Deferred<SmtpReply> answer, Action<SmtpReply> onReply)
    {
        var answered = false;
        answer.AddBoth(outcome =>
        {
            answered = true;
            SmtpReply reply;
            if (outcome.TryGetValue(out var value) && value is not null)
            {
                reply = value;
            }
            else
            {
                s_deliveryFailed(AsyncCoreLogging.LoggerFactory.CreateLogger<EsmtpServer>(), outcome.Failure?.Value);
                reply = new SmtpReply(451, "4.3.0 Local error in processing");
            }
            onReply(reply);
            if (TransportOrNull is { Disconnecting: false })
            {
                Reply(reply.Code, reply.Text);
            }
            if (_waiting)
            {
                _waiting = false;
                ReadingChanged();
            }
            return true;
        });
        if (!answered)
        {
            _waiting = true;
            ReadingChanged();
        }
    }

    private void Reply(int code, string text)
    {
        if (TransportOrNull is not { } transport)
        {
            return;
        }
        transport.Write(Encoding.UTF8.GetBytes(new SmtpReply(code, text).ToWireFormat()));
    }

    /// <summary>Parses <c>FROM:&lt;path&gt; params</c> (a space after the colon is tolerated, as most servers do).</summary>
    internal static bool TryParsePath(string argument, string prefix, out string path, out List<string> parameters)
    {
        path = "";
        parameters = [];
        if (!argument.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var rest = argument[prefix.Length..].TrimStart();
        if (rest.Length == 0 || rest[0] != '<')
        {
            return false;
        }
        var close = rest.IndexOf('>', StringComparison.Ordinal);
        if (close < 0)
        {
            return false;
        }
        path = rest[1..close];
        // A source route (<@a,@b:user@c>) is obsolete; RFC 5321 says to accept and ignore it.
        if (path.StartsWith('@') && path.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
        {
            path = path[(colon + 1)..];
        }
        if (path.Contains('<', StringComparison.Ordinal) || path.Contains(' ', StringComparison.Ordinal))
        {
            return false;
        }
        var after = rest[(close + 1)..];
        if (after.Length > 0 && after[0] != ' ')
        {
            return false;
        }
        parameters.AddRange(after.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return true;
    }

    private static bool TryDecode(string latin1, bool utf8, out string decoded)
    {
        decoded = latin1;
        if (Ascii.IsValid(latin1))
        {
            return true;
        }
        if (!utf8)
        {
            return false;
        }
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(Encoding.Latin1.GetBytes(latin1));
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
