using AsyncCore.Tasks;

namespace AsyncCore.Mail;

/// <summary>Settings of <see cref="SmtpSender.SendMany(IEnumerable{OutgoingMessage}, BulkSendOptions?)"/>.</summary>
public sealed class BulkSendOptions
{
    /// <summary>
    /// The most messages in flight at once (queued on a connection or being sent); 0 (the default) means twice
    /// <see cref="SmtpSender.MaxConnections"/>, so that each connection has its next message ready when one finishes.
    /// </summary>
    public int Concurrency { get; init; }

    /// <summary>Called on the reactor thread as each message finishes, in completion order. An exception thrown here stops the send and fails its Deferred.</summary>
    public Action<BulkSendResult>? OnResult { get; init; }

    /// <summary>
    /// The <see cref="Cooperator"/> that takes the messages from the sequence, one per step; null (the default) makes
    /// one on the sender's reactor with <see cref="TimeSlice"/>. Share one to keep several long jobs fair to each other.
    /// </summary>
    public Cooperator? Cooperator { get; init; }

    /// <summary>
    /// The most time one turn of a cooperator made here spends taking messages before it lets the reactor run; 5 ms
    /// by default (half the <see cref="Cooperator"/>'s default: a step here is a whole send, serialising a message).
    /// </summary>
    public TimeSpan TimeSlice { get; init; } = TimeSpan.FromMilliseconds(5);
}
