namespace AsyncCore.Mail;

/// <summary>
/// The default <see cref="IMailDelivery.ReceiveMessage"/>: keeps the message in memory (the server's size limit bounds
/// it) and hands it whole to <see cref="IMailDelivery.Deliver"/>.
/// </summary>
internal sealed class BufferedMessageReceiver(IMailDelivery delivery, MailEnvelope envelope) : IMailMessageReceiver
{
    private MemoryStream? _message = new();

    public void DataReceived(ReadOnlySpan<byte> data) => _message?.Write(data);

    public Deferred<SmtpReply> EndOfMessage()
    {
        var message = _message ?? throw new InvalidOperationException("The message was aborted.");
        _message = null;
        message.Position = 0;
        Deferred<SmtpReply> answer;
        try
        {
            answer = delivery.Deliver(envelope, message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            answer = Deferred.Fail<SmtpReply>(e);
        }
        return answer.AddFinally(message.Dispose);
    }

    public void Abort(Exception reason)
    {
        _message?.Dispose();
        _message = null;
    }
}
