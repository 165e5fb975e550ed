namespace AsyncCore;

/// <summary>
/// Builds a <see cref="DeferredList{T}"/> over Deferreds of different types (Twisted's <c>DeferredList</c> takes any
/// Deferreds): each value is seen as an <see cref="object"/>.
/// </summary>
public static class DeferredList
{
    /// <summary>Collects the outcomes of <paramref name="deferreds"/>, whatever their result types.</summary>
    /// <example><c>DeferredList.Create(LookupPerson(id), CountVisits(id))</c>: a <c>Deferred&lt;Person&gt;</c> beside a <c>Deferred&lt;int&gt;</c>.</example>
    public static DeferredList<object?> Create(params Deferred[] deferreds) => Create(deferreds, false, false, false);

    /// <summary>
    /// Collects the outcomes of <paramref name="deferreds"/>, whatever their result types, with the options of
    /// <see cref="DeferredList{T}(IEnumerable{Deferred{T}}, bool, bool, bool)"/>.
    /// </summary>
    public static DeferredList<object?> Create(IEnumerable<Deferred> deferreds, bool fireOnOneCallback = false, bool fireOnOneErrback = false, bool consumeErrors = false)
    {
        ArgumentNullException.ThrowIfNull(deferreds);
        return new DeferredList<object?>(deferreds.Select(Deferred.UntypedView), fireOnOneCallback, fireOnOneErrback, consumeErrors);
    }
}

/// <summary>
/// A Deferred that collects the outcomes of several Deferreds (Twisted's <c>DeferredList</c>).
/// </summary>
/// <typeparam name="T">The inputs' result type (<see cref="DeferredList.Create(Deferred[])"/> mixes types).</typeparam>
/// <remarks>
/// <para>By default it fires once every input has fired, with each input's outcome in input order, and never errbacks.</para>
/// <para>With <c>fireOnOneCallback</c> it fires at the first success, with that value and its index
/// (<see cref="DeferredListResult{T}.FiredIndex"/>); with <c>fireOnOneErrback</c> it fails at the first failure with a
/// <see cref="FirstErrorException"/> carrying the failure and its index. With <c>consumeErrors</c> a failed input's own
/// result becomes null once the list has seen it, so the input does not report an unhandled error.</para>
/// <para>The inputs keep their results (except consumed errors). Inputs that have already fired count at once, so the
/// list may fire inside its constructor; an empty list fires at once, unless <c>fireOnOneCallback</c> is set, in which case
/// it never fires. Cancelling an unfired list cancels every input.</para>
/// </remarks>
public sealed class DeferredList<T> : Deferred<DeferredListResult<T>>
{
    private readonly Deferred<T>[] _inputs;
    // The outcomes, kept as the values and, only once an input fails, the failures: a T[] costs what Task.WhenAll's
    // result array costs, where an array of (success, value, failure) items would cost three times as much for an int.
    private readonly T[] _values;
    private Failure?[]? _failures;
    private readonly bool _fireOnOneCallback;
    private readonly bool _fireOnOneErrback;
    private readonly bool _consumeErrors;
    private int _finishedCount;

    /// <summary>Collects the outcomes of <paramref name="deferreds"/> (the sequence is copied).</summary>
    public DeferredList(IEnumerable<Deferred<T>> deferreds, bool fireOnOneCallback = false, bool fireOnOneErrback = false, bool consumeErrors = false)
    {
        ArgumentNullException.ThrowIfNull(deferreds);
        _inputs = deferreds.ToArray();
        _values = new T[_inputs.Length];
        _fireOnOneCallback = fireOnOneCallback;
        _fireOnOneErrback = fireOnOneErrback;
        _consumeErrors = consumeErrors;
        if (_inputs.Length == 0 && !fireOnOneCallback)
        {
            Callback(new DeferredListResult<T>(_values, null));
        }
        foreach (var input in _inputs)
        {
            ArgumentNullException.ThrowIfNull(input, nameof(deferreds));
            input.ThrowIfStale();
        }
        for (var i = 0; i < _inputs.Length; i++)
        {
            var input = _inputs[i];
            // A success that is already there is recorded in place: nothing can observe the list before the constructor
            // returns, so the list fires once after the loop if every input was such a success. Not with
            // fireOnOneCallback, which fires at the first success with its index.
            if (!fireOnOneCallback && input.TryPeekSettledValue(out T value))
            {
                _values[i] = value;
                _finishedCount++;
            }
            // Any other input that already has its result is counted at once, without allocating a stage for it.
            else if (!input.TryObserveSettled(this, i, static (list, index, result) => list.OnInputFired(index, result)))
            {
                input.AddStage(new Collect(this, i));
            }
        }
        if (_values.Length > 0 && _finishedCount == _values.Length && !Called)
        {
            Callback(new DeferredListResult<T>(_values, _failures));
        }
    }

    /// <summary>The inputs, in order.</summary>
    public IReadOnlyList<Deferred<T>> Inputs => _inputs;

    private protected override bool HasInternalCanceller => true;

    private protected override bool CancelInternally()
    {
        foreach (var input in _inputs)
        {
            try
            {
                input.Cancel();
            }
#pragma warning disable CA1031 // One input's failing canceller must not stop the others from being cancelled.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Microsoft.Extensions.Logging.LoggerExtensions.LogError(AsyncCoreLogging.Deferred, ex, "Exception raised while cancelling an input of a DeferredList");
            }
        }
        // The list fires from its inputs' outcomes, as any list does.
        return true;
    }

    private object? OnInputFired(int index, object? result)
    {
        var failure = result as Failure;
        if (failure is null)
        {
            _values[index] = Read<T>(result);
        }
        else
        {
            (_failures ??= new Failure?[_values.Length])[index] = failure;
        }
        _finishedCount++;
        if (!Called)
        {
            if (failure is null && _fireOnOneCallback)
            {
                Callback(new DeferredListResult<T>(index, Read<T>(result)));
            }
            else if (failure is not null && _fireOnOneErrback)
            {
                Errback(new FirstErrorException(failure, index));
            }
            else if (_finishedCount == _values.Length)
            {
                Callback(new DeferredListResult<T>(_values, _failures));
            }
        }
        return failure is not null && _consumeErrors ? Consumed : result;
    }

    private sealed class Collect(DeferredList<T> list, int index) : Stage
    {
        public override object? Invoke(object? result) => list.OnInputFired(index, result);
    }
}

/// <summary>One input's outcome in a <see cref="DeferredList{T}"/>: Twisted's <c>(success, result)</c> pair.</summary>
/// <param name="Success">True when the input succeeded.</param>
/// <param name="Value">The input's value when it succeeded.</param>
/// <param name="Failure">The input's failure when it failed.</param>
public readonly record struct DeferredListItem<T>(bool Success, T? Value, Failure? Failure);

/// <summary>
/// What a <see cref="DeferredList{T}"/> fires with: every input's outcome in input order; or, when it fired on the first
/// success (<c>fireOnOneCallback</c>), that value and its index (Twisted's <c>(result, index)</c>), with no items.
/// </summary>
public sealed class DeferredListResult<T> : IReadOnlyList<DeferredListItem<T>>
{
    private readonly T[] _values;
    private readonly Failure?[]? _failures;

    internal DeferredListResult(T[] values, Failure?[]? failures)
    {
        _values = values;
        _failures = failures;
        FiredIndex = -1;
        FiredValue = default;
    }

    internal DeferredListResult(int index, T value)
    {
        _values = [];
        FiredIndex = index;
        FiredValue = value;
    }

    /// <summary>With <c>fireOnOneCallback</c>: the index of the input that fired the list; otherwise -1.</summary>
    public int FiredIndex { get; }

    /// <summary>With <c>fireOnOneCallback</c>: the value of the input that fired the list.</summary>
    public T? FiredValue { get; }

    /// <inheritdoc />
    public DeferredListItem<T> this[int index] =>
        _failures?[index] is { } failure ? new DeferredListItem<T>(false, default, failure) : new DeferredListItem<T>(true, _values[index], null);

    /// <inheritdoc />
    public int Count => _values.Length;

    /// <inheritdoc />
    public IEnumerator<DeferredListItem<T>> GetEnumerator()
    {
        for (var i = 0; i < _values.Length; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
