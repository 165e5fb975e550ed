namespace AsyncCore;

/// <summary>
/// Runs a method written in Twisted's <c>inlineCallbacks</c> style: an iterator that yields Deferreds and reads each
/// one's result after it resumes. Created by <see cref="Deferred.InlineCallbacks{T}(Func{InlineCallbacks{T}, IEnumerable{Deferred}})"/>.
/// </summary>
/// <typeparam name="T">The result of the whole method.</typeparam>
/// <remarks>
/// <para>
/// The iterator runs synchronously until it yields a Deferred that has no result yet; yielding an already-fired Deferred
/// resumes at once, in a loop (no recursion, however many are yielded). Each yielded Deferred's result is consumed (it
/// then holds null) and is read with <see cref="ResultOf{TValue}(Deferred{TValue})"/>.
/// </para>
/// <para>
/// A yielded Deferred that fails raises its exception at the <c>yield</c>: the iterator is disposed (its <c>finally</c>
/// blocks run) and the method's Deferred fails with that exception, exactly as an uncaught exception at the yield point in
/// Twisted. C# does not allow a <c>catch</c> around <c>yield return</c>; to handle a failure inside the method, yield
/// <see cref="Settle{TValue}(Deferred{TValue})"/> and inspect the <see cref="Outcome{T}"/>.
/// </para>
/// <para>
/// Cancelling the method's Deferred cancels the Deferred the iterator is waiting on; the iterator sees the result of
/// that cancellation (normally a failure, which ends it as above).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// Deferred&lt;string&gt; GetName(int id) =&gt; Deferred.InlineCallbacks&lt;string&gt;(ic =&gt; GetNameSteps(ic, id));
///
/// IEnumerable&lt;Deferred&gt; GetNameSteps(InlineCallbacks&lt;string&gt; ic, int id)
/// {
///     var row = db.RunQuery("SELECT name FROM users WHERE id = @id", id);
///     yield return row;                       // like `rows = yield d` in Twisted
///     ic.Return(ic.ResultOf(row)[0].Name);    // like `return rows[0].name`
/// }
/// </code>
/// </example>
public sealed class InlineCallbacks<T> : Deferred<T>
{
    private readonly IEnumerator<Deferred> _steps;
    private Deferred? _awaiting;
    private Deferred? _lastYielded;
    private object? _lastResult;
    private T _returnValue = default!;

    internal InlineCallbacks(Func<InlineCallbacks<T>, IEnumerable<Deferred>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        _steps = (body(this) ?? throw new InvalidOperationException("The inline-callbacks body returned null.")).GetEnumerator();
    }

    /// <summary>
    /// The result of <paramref name="deferred"/>, which must be the Deferred yielded last. Read it right after the
    /// <c>yield return</c>, as Twisted code reads <c>x = yield d</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="deferred"/> is not the Deferred yielded last.</exception>
    public TValue ResultOf<TValue>(Deferred<TValue> deferred)
    {
        ArgumentNullException.ThrowIfNull(deferred);
        if (_lastYielded is null || !ReferenceEquals(deferred.Chain, _lastYielded))
        {
            throw new InvalidOperationException("ResultOf must be given the Deferred yielded last.");
        }
        return Read<TValue>(_lastResult);
    }

    /// <summary>Sets the method's result; end the iterator afterwards with <c>yield break</c> (or let it finish).</summary>
    public void Return(T value) => _returnValue = value;

    /// <summary>
    /// A Deferred that always succeeds with the outcome of <paramref name="deferred"/>: yield it to handle a failure
    /// inside the method instead of ending it.
    /// </summary>
    public static Deferred<Outcome<TValue>> Settle<TValue>(Deferred<TValue> deferred)
    {
        ArgumentNullException.ThrowIfNull(deferred);
        return deferred.AddBoth(static outcome => outcome);
    }

    private protected override bool HasInternalCanceller => true;

    private protected override bool CancelInternally()
    {
        if (_awaiting is { } awaited)
        {
            awaited.Cancel();
            return true;
        }
        return false;
    }

    internal void Start() => Step();

    /// <summary>Advances the iterator until it waits on an unfired Deferred or ends.</summary>
    private void Step()
    {
        while (true)
        {
            bool moved;
            try
            {
                moved = _steps.MoveNext();
            }
            catch (Exception ex)
            {
                Finish(new Failure(ex));
                return;
            }
            if (!moved)
            {
                _steps.Dispose();
                Finish(null);
                return;
            }
            var yielded = _steps.Current;
            if (yielded is null)
            {
                _lastYielded = null;
                _lastResult = null;
                continue;
            }
            var chain = yielded.Chain;
            if (!chain.HasResult)
            {
                _awaiting = chain;
                chain.AddStage(new Resume(this, chain));
                return;
            }
            if (!Received(chain, chain.TakeResult()))
            {
                return;
            }
        }
    }

    /// <summary>Records a yielded Deferred's result; a failure ends the iterator at its yield. False when it ended.</summary>
    private bool Received(Deferred chain, object? result)
    {
        _awaiting = null;
        if (result is Failure failure)
        {
            try
            {
                _steps.Dispose();
            }
            catch (Exception ex)
            {
                // An exception from a finally block replaces the one being propagated, as in C# and Python.
                failure = new Failure(ex);
            }
            Finish(failure);
            return false;
        }
        _lastYielded = chain;
        _lastResult = result;
        return true;
    }

    private void Finish(Failure? failure)
    {
        _awaiting = null;
        _lastYielded = null;
        _lastResult = null;
        if (Called)
        {
            return;
        }
        if (failure is null)
        {
            Callback(_returnValue);
        }
        else
        {
            Errback(failure);
        }
    }

    private sealed class Resume(InlineCallbacks<T> owner, Deferred chain) : Stage
    {
        public override object? Invoke(object? result)
        {
            // Take the result (the yielded Deferred is left holding null), then carry on with the iterator.
            if (owner.Received(chain, result))
            {
                owner.Step();
            }
            return null;
        }
    }
}

public abstract partial class Deferred
{
    /// <summary>
    /// Runs <paramref name="body"/>, an iterator in Twisted's <c>inlineCallbacks</c> style, and returns the Deferred of its
    /// result. See <see cref="InlineCallbacks{T}"/>.
    /// </summary>
    public static Deferred<T> InlineCallbacks<T>(Func<InlineCallbacks<T>, IEnumerable<Deferred>> body)
    {
        var runner = new InlineCallbacks<T>(body);
        runner.Start();
        return runner;
    }
}
