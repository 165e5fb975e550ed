namespace AsyncCore.Mail;

/// <summary>
/// One <see cref="SmtpSender.SendMany(IEnumerable{OutgoingMessage}, BulkSendOptions?)"/>: an iterator for a
/// <see cref="Tasks.Cooperator"/> that takes one message per step from the (lazy) sequence and queues it on the sender,
/// and waits, without a step, while <c>concurrency</c> messages are in flight.
/// </summary>
/// <remarks>
/// Memory does not grow with the number of messages: the sequence is read as sends finish, a finished send leaves only
/// counts in the <see cref="BulkSendSummary"/> (its details go to the callback), and the only Deferred kept is the one
/// the iterator waits on. A step costs one send (serialising the message), so the cooperator's time slice bounds how
/// long the reactor is held.
/// </remarks>
internal sealed class BulkSend(SmtpSender sender, int concurrency, Action<BulkSendResult>? onResult)
{
    private int _inFlight;
    private Deferred<bool>? _slot;
    private Exception? _error;

    public BulkSendSummary Summary { get; } = new();

    public IEnumerable<Deferred?> Steps(IEnumerable<OutgoingMessage> messages)
    {
        long index = 0;
        using var source = messages.GetEnumerator();
        while (true)
        {
            // Wait for a free slot before taking the next message: no more than `concurrency` are ever out of the sequence.
            while (_inFlight >= concurrency)
            {
                _slot = new Deferred<bool>();
                yield return _slot;
                ThrowIfFailed();
            }
            if (!source.MoveNext())
            {
                break;
            }
            var message = source.Current;
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            Start(index++, message);
            ThrowIfFailed();
            // One message per step: the cooperator decides whether there is time for another in this turn.
            yield return null;
        }
        while (_inFlight > 0)
        {
            _slot = new Deferred<bool>();
            yield return _slot;
            ThrowIfFailed();
        }
    }

    private void ThrowIfFailed()
    {
        if (_error is { } error)
        {
            throw new InvalidOperationException("BulkSendOptions.OnResult failed: " + error.Message, error);
        }
    }

    private void Start(long index, OutgoingMessage message)
    {
        _inFlight++;
        Summary.MaxInFlight = Math.Max(Summary.MaxInFlight, _inFlight);
        Deferred<SendMailResult> send;
        try
        {
            send = sender.Send(message.Sender, message.Recipients, message.Message);
        }
        catch (Exception e) when (e is ArgumentException or ObjectDisposedException)
        {
            // A bad address in one message, or the sender closed meanwhile: that message fails, the others go on.
            send = Deferred.Fail<SendMailResult>(e);
        }
        send.AddCallbacks(
            result =>
            {
                Summary.Sent++;
                foreach (var recipient in result.Recipients)
                {
                    if (recipient.Accepted)
                    {
                        Summary.RecipientsAccepted++;
                    }
                    else
                    {
                        Summary.RecipientsRefused++;
                    }
                }
                Finished(new BulkSendResult(index, message, result, null));
                return true;
            },
            failure =>
            {
                Summary.Failed++;
                if (failure.Value is SmtpException smtp)
                {
                    foreach (var recipient in smtp.Recipients)
                    {
                        if (!recipient.Accepted)
                        {
                            Summary.RecipientsRefused++;
                        }
                    }
                }
                Finished(new BulkSendResult(index, message, null, failure.Value));
                return false;
            });
    }

    private void Finished(BulkSendResult result)
    {
        Summary.Messages++;
        _inFlight--;
        if (onResult is not null && _error is null)
        {
            try
            {
                onResult(result);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _error = e;
            }
        }
        if (_slot is { } slot)
        {
            _slot = null;
            slot.Callback(true);
        }
    }
}
