using System.Net;

namespace AsyncCore.Mail;

/// <summary>One mail transaction as the server sees it: the client's greeting, the sender and the recipients accepted.</summary>
public sealed class MailEnvelope
{
    private readonly List<string> _recipients = [];

    internal MailEnvelope(string helo, EndPoint? client)
    {
        Helo = helo;
        Client = client;
    }

    /// <summary>The domain the client gave in <c>EHLO</c> or <c>HELO</c>.</summary>
    public string Helo { get; }

    /// <summary>The client's address, when the transport knows it.</summary>
    public EndPoint? Client { get; }

    /// <summary>The sender of <c>MAIL FROM</c> once accepted (an empty string for <c>&lt;&gt;</c>); null before.</summary>
    public string? Sender { get; internal set; }

    /// <summary>The recipients accepted so far, in order.</summary>
    public IReadOnlyList<string> Recipients => _recipients;

    /// <summary>The size the client announced with <c>SIZE=</c>, if it did.</summary>
    public long? DeclaredSize { get; internal set; }

    /// <summary>True when the client announced <c>BODY=8BITMIME</c>.</summary>
    public bool EightBitMime { get; internal set; }

    /// <summary>True when the client announced <c>SMTPUTF8</c>.</summary>
    public bool SmtpUtf8 { get; internal set; }

    /// <summary>The user the client logged in as with <c>AUTH</c>; null when it did not.</summary>
    public string? AuthenticatedUser { get; internal set; }

    /// <summary>True when the connection was encrypted (a TLS port, or after <c>STARTTLS</c>).</summary>
    public bool Encrypted { get; internal set; }

    internal void AddRecipient(string recipient) => _recipients.Add(recipient);
}
