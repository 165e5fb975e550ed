using System.Runtime.CompilerServices;

namespace AsyncCore;

/// <summary>
/// Awaits a <see cref="Deferred{T}"/>. An already-settled Deferred is read directly, without allocating; otherwise one
/// stage is appended that resumes the awaiting method synchronously when the chain reaches it.
/// </summary>
/// <typeparam name="T">The result type.</typeparam>
public readonly struct DeferredAwaiter<T> : ICriticalNotifyCompletion, IDeferredAwaiter
{
    private readonly Deferred<T> _deferred;

    internal DeferredAwaiter(Deferred<T> deferred) => _deferred = deferred;

    /// <summary>True when the Deferred has a settled result that can be taken now.</summary>
    public bool IsCompleted => _deferred.HasResult;

    Deferred IDeferredAwaiter.Awaited => _deferred;

    /// <summary>Takes the result: returns the value, or throws the failure's exception with its original stack.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T GetResult()
    {
        var result = _deferred.TakeResult();
        if (result is Failure failure)
        {
            failure.ThrowException();
        }
        return Deferred.Read<T>(result);
    }

    /// <inheritdoc />
    public void OnCompleted(Action continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        _deferred.AddStage(new ResumeStage(continuation));
    }

    /// <inheritdoc />
    public void UnsafeOnCompleted(Action continuation) => OnCompleted(continuation);

    /// <summary>
    /// Resumes the awaiting method. The method reads the result with <see cref="GetResult"/> while this stage runs, which
    /// leaves null in the chain, as awaiting does in Twisted.
    /// </summary>
    private sealed class ResumeStage(Action continuation) : Stage
    {
        public override object? Invoke(object? result)
        {
            continuation();
            return Deferred.Consumed;
        }
    }
}

/// <summary>Lets an async method builder see which Deferred its method is waiting on, to forward cancellation to it.</summary>
internal interface IDeferredAwaiter
{
    Deferred Awaited { get; }
}
