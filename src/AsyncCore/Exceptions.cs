namespace AsyncCore;

/// <summary>A Deferred was fired (<c>Callback</c> or <c>Errback</c>) a second time.</summary>
public sealed class AlreadyCalledException : InvalidOperationException
{
    /// <summary>Creates the exception with a message.</summary>
    public AlreadyCalledException(string message) : base(message) { }

    /// <summary>Creates the exception with the default message.</summary>
    public AlreadyCalledException() : base("The Deferred has already been called.") { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public AlreadyCalledException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The Deferred was cancelled (Twisted's <c>CancelledError</c>).</summary>
public class CancelledException : OperationCanceledException
{
    /// <summary>Creates the exception with the default message.</summary>
    public CancelledException() : base("The Deferred was cancelled.") { }

    /// <summary>Creates the exception with a message.</summary>
    public CancelledException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public CancelledException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// A Deferred given a timeout with <c>AddTimeout</c> did not fire in time (Twisted's <c>defer.TimeoutError</c>).
/// </summary>
public sealed class DeferredTimeoutException : TimeoutException
{
    /// <summary>Creates the exception for a timeout of <paramref name="timeout"/>.</summary>
    public DeferredTimeoutException(TimeSpan timeout)
        : base($"Deferred timed out after {timeout.TotalSeconds:0.###} seconds") => Timeout = timeout;

    /// <summary>Creates the exception with the default message.</summary>
    public DeferredTimeoutException() : base("Deferred timed out") { }

    /// <summary>Creates the exception with a message.</summary>
    public DeferredTimeoutException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public DeferredTimeoutException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The timeout that elapsed.</summary>
    public TimeSpan Timeout { get; }
}

/// <summary>
/// The first failure among the inputs of a <see cref="DeferredList{T}"/> created with <c>fireOnOneErrback</c>, or of
/// <see cref="Deferred.GatherResults{T}(IEnumerable{Deferred{T}}, bool)"/>: the input's failure and its index.
/// </summary>
public sealed class FirstErrorException : Exception
{
    /// <summary>Creates the exception for input <paramref name="index"/> failing with <paramref name="subFailure"/>.</summary>
    public FirstErrorException(Failure subFailure, int index)
        : base($"FirstError[#{index}, {subFailure?.Type.Name}: {subFailure?.Value.Message}]", subFailure?.Value)
    {
        ArgumentNullException.ThrowIfNull(subFailure);
        SubFailure = subFailure;
        Index = index;
    }

    /// <summary>The input's failure.</summary>
    public Failure SubFailure { get; } = null!;

    /// <summary>The position of the failed input in the list.</summary>
    public int Index { get; }

    /// <summary>Creates the exception with the default message.</summary>
    public FirstErrorException() { }

    /// <summary>Creates the exception with a message.</summary>
    public FirstErrorException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public FirstErrorException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Two first errors are equal when their index and their sub-failure's exception are equal.</summary>
    public override bool Equals(object? obj) =>
        obj is FirstErrorException other && other.Index == Index && Equals(other.SubFailure?.Value, SubFailure?.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Index, SubFailure?.Value);
}

/// <summary>Every input of <see cref="Deferred.Race{T}(Deferred{T}[])"/> failed; the failures in input order.</summary>
public sealed class FailureGroupException : AggregateException
{
    /// <summary>Creates the exception from the inputs' failures, in input order.</summary>
    public FailureGroupException(IReadOnlyList<Failure> failures)
        : base("All inputs of the race failed.", (failures ?? throw new ArgumentNullException(nameof(failures))).Select(f => f.Value))
        => Failures = failures;

    /// <summary>The failures, in input order.</summary>
    public IReadOnlyList<Failure> Failures { get; } = [];

    /// <summary>Creates the exception with the default message.</summary>
    public FailureGroupException() { }

    /// <summary>Creates the exception with a message.</summary>
    public FailureGroupException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public FailureGroupException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A <see cref="DeferredQueue{T}"/> is full: a put found no waiting getter and no room (Twisted's <c>QueueOverflow</c>).</summary>
public sealed class QueueOverflowException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public QueueOverflowException() : base("The DeferredQueue is full.") { }

    /// <summary>Creates the exception with a message.</summary>
    public QueueOverflowException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public QueueOverflowException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A <see cref="DeferredQueue{T}"/> has as many waiting getters as its backlog allows (Twisted's <c>QueueUnderflow</c>).</summary>
public sealed class QueueUnderflowException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public QueueUnderflowException() : base("The DeferredQueue has too many waiting getters.") { }

    /// <summary>Creates the exception with a message.</summary>
    public QueueUnderflowException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public QueueUnderflowException(string message, Exception innerException) : base(message, innerException) { }
}
