using System.Net.Security;
using AsyncCore.Protocols;

namespace AsyncCore.Transports;

/// <summary>
/// A connection that can switch to TLS in the middle (Twisted's <c>ITLSTransport.startTLS</c>), as STARTTLS in SMTP,
/// IMAP or XMPP needs: bytes written before the call go out in clear, everything after it is encrypted. Every reactor's
/// plain TCP and UNIX transports implement it; cast <see cref="Protocol.Transport"/> to this type.
/// </summary>
/// <remarks>
/// <para>The protocol keeps its transport: <c>Write</c> encrypts from the call on (writes made before the
/// handshake completes wait for it), <see cref="IProtocol.DataReceived"/> gets the decrypted bytes, and
/// <see cref="ITransport.LoseConnection"/> sends TLS's close alert first. Bytes the protocol received in clear but has
/// not parsed yet are its own to discard (RFC 3207 asks that they be: they may be an injection).</para>
/// <para>The handshake runs on the reactor thread. A failed handshake closes the connection; the protocol hears
/// <c>ConnectionLost</c> with the cause, and the Deferred fails with it too.</para>
/// </remarks>
public interface ITlsTransport : ITransport
{
    /// <summary>Starts TLS as the client side (this end sends the ClientHello).</summary>
    /// <returns>A Deferred that fires with the authenticated stream (protocol, cipher, remote certificate) once the handshake is done.</returns>
    /// <exception cref="InvalidOperationException">The connection is already TLS, or is closing.</exception>
    Deferred<SslStream> StartTls(TlsClientOptions options);

    /// <summary>Starts TLS as the server side (this end waits for the ClientHello).</summary>
    /// <returns>A Deferred that fires with the authenticated stream once the handshake is done.</returns>
    /// <exception cref="InvalidOperationException">The connection is already TLS, or is closing.</exception>
    Deferred<SslStream> StartTls(TlsServerOptions options);
}
