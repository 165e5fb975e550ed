using AsyncCore.Protocols;

namespace AsyncCore.Mail;

/// <summary>
/// What <see cref="IMailMessageReceiver.Start"/> gets: pauses and resumes the reading of one message from the
/// connection, for that message only (Twisted's <c>_newclient.TransportProxyProducer</c>, which an HTTP response body's
/// protocol gets instead of the transport).
/// </summary>
/// <remarks>
/// The server detaches it when the message ends (before <see cref="IMailMessageReceiver.EndOfMessage"/>) or is aborted
/// (before <see cref="IMailMessageReceiver.Abort"/>): from then on every call does nothing, so a receiver that kept it
/// cannot pause a later transaction, and a pause it left behind is undone. Not counted: two pauses are undone by one
/// resume, as a transport's are.
/// </remarks>
internal sealed class MessageReading(EsmtpServer server) : IPushProducer
{
    private EsmtpServer? _server = server;
    private bool _stopped;

    /// <summary>True while the receiver holds the reading paused (and the message is still going on).</summary>
    public bool Paused { get; private set; }

    /// <summary>Stops passing bytes to the receiver and reading from the connection, until <see cref="ResumeProducing"/>.</summary>
    public void PauseProducing()
    {
        if (_server is { } owner && !Paused)
        {
            Paused = true;
            owner.ReadingChanged();
        }
    }

    /// <summary>Reads again; bytes read before the pause and not yet passed on may be passed on before this returns.</summary>
    public void ResumeProducing()
    {
        if (_server is { } owner && Paused && !_stopped)
        {
            Paused = false;
            owner.ReadingChanged();
        }
    }

    /// <summary>Closes the connection (as a transport's <c>StopProducing</c> does); the receiver then gets Abort.</summary>
    public void StopProducing()
    {
        if (_server is { } owner)
        {
            // Paused for good: nothing more is passed on while the connection closes, and the receiver gets Abort.
            Paused = true;
            _stopped = true;
            owner.StopReading();
        }
    }

    /// <summary>The message is over: from now on nothing here has any effect; returns whether it was paused.</summary>
    public bool Detach()
    {
        var paused = Paused;
        _server = null;
        Paused = false;
        return paused;
    }
}
