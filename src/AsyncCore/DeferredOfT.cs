using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace AsyncCore;

/// <summary>
/// A result that is not there yet, with Twisted's exact <c>Deferred</c> semantics: a chain of callbacks and errbacks
/// that runs synchronously when the Deferred fires, chains on Deferreds returned by callbacks, can be paused, cancelled
/// and given a timeout, and can be awaited.
/// </summary>
/// <typeparam name="T">The type of the result at this point of the chain.</typeparam>
/// <remarks>
/// <para><b>Not thread-safe, by design</b>: see <see cref="Deferred"/>.</para>
/// <para>
/// Each <c>Add*</c> method appends one stage and returns a Deferred for the rest of the chain: this same object when
/// the type stays the same, otherwise a typed view of the same chain. After changing the type, keep using the returned
/// view: the old handle is <em>stale</em>, and reading it, awaiting it or adding callbacks to it throws an
/// <see cref="InvalidOperationException"/> that names the call that changed the type (a typed handle never sees a
/// value of another type). The Deferred that started the chain can still be fired (<see cref="Callback"/> takes the
/// chain's input type) and any handle can be cancelled, paused or errbacked.
/// </para>
/// <example>
/// <code>
/// var d = new Deferred&lt;int&gt;();
/// d.AddCallback(x =&gt; x * 2)
///  .AddCallback(x =&gt; x.ToString(CultureInfo.InvariantCulture))
///  .AddErrback(failure =&gt; "recovered: " + failure.GetErrorMessage());
/// d.Callback(21);               // the chain runs now, synchronously
/// </code>
/// </example>
/// <seealso href="https://docs.twisted.org/en/stable/api/twisted.internet.defer.Deferred.html"/>
/// </remarks>
[AsyncMethodBuilder(typeof(DeferredMethodBuilder<>))]
public class Deferred<T> : Deferred, IResultSource<T>
{
    // Not initialised in code: the runtime zeroes it, and an explicit "= default" costs a store in every Deferred.
    [AllowNull]
    private T _value;

    /// <summary>Creates an unfired Deferred without a canceller.</summary>
    public Deferred()
    {
    }

    /// <summary>
    /// Creates an unfired Deferred whose <paramref name="canceller"/> runs (at most once) when it is cancelled before
    /// firing. The canceller should stop the work and may fire the Deferred itself; if it does not, the Deferred errbacks
    /// with <see cref="CancelledException"/>.
    /// </summary>
    public Deferred(Action<Deferred<T>> canceller)
    {
        ArgumentNullException.ThrowIfNull(canceller);
        // Until the Deferred fires, its result slot holds the canceller (firing replaces it, which also releases it):
        // one field less in every Deferred, most of which have no canceller.
        Current = canceller;
    }

    /// <summary>A typed view of an existing chain.</summary>
    private protected Deferred(Deferred chain, bool view) : base(chain)
    {
        _ = view;
    }

    T IResultSource<T>.Value => _value;

    /// <summary>The value given to <see cref="Callback"/>, stored here so that value types are not boxed.</summary>
    internal T StoredValue => _value;

    /// <summary>Makes a Deferred already fired with <paramref name="value"/>, without running the (empty) chain.</summary>
    internal static Deferred<T> Fired(T value)
    {
        var d = new Deferred<T>();
        d._value = value;
        d.SetFired(d); // a new Deferred has no canceller to release and no stages to run
        return d;
    }

    object? IResultSource.Boxed => _value;

    /// <summary>
    /// The settled result: the value when the chain succeeded; the failure's exception is thrown when it failed.
    /// Reading it does not consume it, and never waits.
    /// </summary>
    /// <exception cref="InvalidOperationException">The Deferred has no settled result yet.</exception>
    /// <exception cref="InvalidOperationException">This handle is stale: a later callback changed the chain's type.</exception>
    public T Result
    {
        get
        {
            ThrowIfStale();
            if (!HasResult)
            {
                ThrowNoResult();
            }
            var current = Chain.Current;
            if (current is Failure failure)
            {
                ConsumeFailure();
                failure.ThrowException();
            }
            return Read<T>(current);
        }
    }

    [DoesNotReturn]
    private void ThrowNoResult() => throw new InvalidOperationException("The Deferred has no result yet: " + this);

    /// <summary>Gets the value when the chain has settled on a success.</summary>
    /// <exception cref="InvalidOperationException">This handle is stale: a later callback changed the chain's type.</exception>
    public bool TryGetResult([MaybeNullWhen(false)] out T value)
    {
        ThrowIfStale();
        if (HasResult && Chain.Current is not Failure && !ReferenceEquals(Chain.Current, Consumed))
        {
            value = Read<T>(Chain.Current);
            return true;
        }
        value = default;
        return false;
    }

    // ---- firing ---------------------------------------------------------------------------------------------------

    /// <summary>Fires the chain with a success value; the callbacks run before this returns.</summary>
    /// <exception cref="AlreadyCalledException">The Deferred was already fired.</exception>
    /// <exception cref="ArgumentException"><paramref name="result"/> is itself a Deferred (return it from a callback to chain instead).</exception>
    /// <exception cref="InvalidOperationException">
    /// This is a view returned by an <c>Add*</c> method that changed the type: fire the Deferred that started the chain.
    /// </exception>
    public void Callback(T result)
    {
        if (!ReferenceEquals(Chain, this))
        {
            ThrowCallbackOnView();
        }
        if (!typeof(T).IsValueType)
        {
            if (result is Deferred)
            {
                throw new ArgumentException("A Deferred cannot be fired with another Deferred; return it from a callback to chain on it.", nameof(result));
            }
            if (result is Failure failure)
            {
                Chain.StartRunCallbacks(failure);
                return;
            }
        }
        if (Chain.Called)
        {
            Chain.StartRunCallbacks(null);
            return;
        }
        _value = result;
        Chain.StartRunCallbacks(this);
    }

    /// <summary>Fires the chain with a failure; the errbacks run before this returns.</summary>
    /// <exception cref="AlreadyCalledException">The Deferred was already fired.</exception>
    public void Errback(Failure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        Chain.StartRunCallbacks(failure);
    }

    /// <summary>Fires the chain with <paramref name="exception"/> wrapped in a <see cref="Failure"/>.</summary>
    /// <exception cref="AlreadyCalledException">The Deferred was already fired.</exception>
    public void Errback(Exception exception) => Errback(new Failure(exception));

    private protected override bool InvokeCanceller(out bool hadCanceller)
    {
        // Only called while unfired, when the result slot holds the canceller if there is one.
        var canceller = Current as Action<Deferred<T>>;
        hadCanceller = canceller is not null || HasInternalCanceller;
        if (canceller is not null)
        {
            canceller(this);
            return false;
        }
        return CancelInternally();
    }

    /// <summary>True for Deferreds whose cancellation is built in (async methods, inline callbacks).</summary>
    private protected virtual bool HasInternalCanceller => false;

    /// <summary>Built-in cancellation; returns true when it completes asynchronously.</summary>
    private protected virtual bool CancelInternally() => false;

    // ---- callbacks ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Appends <paramref name="stage"/> and returns the rest of the chain typed as <typeparamref name="TNext"/>: this
    /// object when the type stays the same, otherwise a new view, and this handle becomes stale.
    /// </summary>
    private Deferred<TNext> Continue<TNext>(Stage stage) =>
        this is Deferred<TNext> same ? same.ContinueSameType(stage) : Supersede<TNext>(stage);

    /// <summary>Appends a stage that keeps the result type: the rest of the chain is this handle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Deferred<T> ContinueSameType(Stage stage)
    {
        ThrowIfStale();
        AddStage(stage);
        return this;
    }

    /// <summary>Marks this handle stale, appends <paramref name="stage"/> and returns a new view typed for the rest.</summary>
    private Deferred<TNext> Supersede<TNext>(Stage stage)
    {
        ThrowIfStale();
        var view = new DeferredView<TNext>(Chain);
        SupersededBy = stage;
        AddStage(stage);
        return view;
    }

    [DoesNotReturn]
    private static void ThrowCallbackOnView() => throw new InvalidOperationException(
        $"Callback was called on a Deferred<{TypeName(typeof(T))}> returned by an Add* method that changed the chain's " +
        "type; the chain's first callback expects the type of the Deferred that started it: fire that one.");

    /// <summary>
    /// Adds a callback: it receives the value and its return value becomes the next result. An exception it throws moves
    /// the chain to the error path. Failures pass it by.
    /// </summary>
    public Deferred<TNext> AddCallback<TNext>(Func<T, TNext> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return Continue<TNext>(new CallbackStage<T, TNext>(callback, null));
    }

    /// <summary>
    /// Adds a callback that returns a Deferred: the chain waits for it and continues with its result (success or failure).
    /// </summary>
    public Deferred<TNext> AddCallback<TNext>(Func<T, Deferred<TNext>> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return Continue<TNext>(new ChainStage<T, TNext>(callback, null));
    }

    /// <summary>Adds a callback that observes the value; the value passes on unchanged.</summary>
    public Deferred<T> AddCallback(Action<T> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return ContinueSameType(new TapStage<T>(callback));
    }

    /// <summary>
    /// Adds an errback that recovers: its return value becomes the next (success) result. To stay on the error path it
    /// throws (for example <see cref="Failure.Trap(Type[])"/> rethrows errors it does not handle). Values pass it by.
    /// </summary>
    public Deferred<T> AddErrback(Func<Failure, T> errback)
    {
        ArgumentNullException.ThrowIfNull(errback);
        return ContinueSameType(new CallbackStage<T, T>(null, errback));
    }

    /// <summary>Adds an errback that recovers with a Deferred: the chain waits for it.</summary>
    public Deferred<T> AddErrback(Func<Failure, Deferred<T>> errback)
    {
        ArgumentNullException.ThrowIfNull(errback);
        return ContinueSameType(new ChainStage<T, T>(null, errback));
    }

    /// <summary>Adds an errback that returns a failure (the same or another one): the chain stays on the error path.</summary>
    public Deferred<T> AddErrback(Func<Failure, Failure> errback)
    {
        ArgumentNullException.ThrowIfNull(errback);
        return ContinueSameType(new FailureMapStage(errback));
    }

    /// <summary>Adds the stage of an errback handling the failure without a value (see <c>DeferredErrbackExtensions</c>).</summary>
    internal Deferred<TNext> AddHandler<TNext>(Stage stage) where TNext : class?
    {
        // For a reference type T, TNext (T?) is the same runtime type, but not the same static type: the rest of the
        // chain may now hold null, so this handle must not keep reading it as a non-nullable T.
        return Supersede<TNext>(stage);
    }

    /// <summary>Adds the value-type form of a failure handler (see <c>DeferredErrbackExtensions</c>).</summary>
    internal Deferred<TNext> AddValueHandler<TNext>(Stage stage) => Continue<TNext>(stage);

    /// <summary>
    /// Adds one stage holding a callback and an errback; exactly one of them runs. Unlike
    /// <c>AddCallback(cb).AddErrback(eb)</c>, <paramref name="errback"/> does not see an exception thrown by <paramref name="callback"/>.
    /// </summary>
    public Deferred<TNext> AddCallbacks<TNext>(Func<T, TNext> callback, Func<Failure, TNext> errback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentNullException.ThrowIfNull(errback);
        return Continue<TNext>(new CallbackStage<T, TNext>(callback, errback));
    }

    /// <summary>
    /// Adds one stage holding a callback and an errback that passes the failure on (Twisted's "log and return f"): the
    /// errback returns the same failure, or another one, and the chain stays on the error path. A null
    /// <paramref name="errback"/> passes the failure on untouched (Twisted's <c>addCallbacks(cb, None)</c>).
    /// </summary>
    public Deferred<TNext> AddCallbacks<TNext>(Func<T, TNext> callback, Func<Failure, Failure>? errback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return Continue<TNext>(new CallbackOrFailureStage<T, TNext>(callback, errback));
    }

    /// <summary>
    /// Adds a Deferred-returning callback and an errback that passes the failure on (or replaces it); a null
    /// <paramref name="errback"/> passes it on untouched.
    /// </summary>
    public Deferred<TNext> AddCallbacks<TNext>(Func<T, Deferred<TNext>> callback, Func<Failure, Failure>? errback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return Continue<TNext>(new ChainOrFailureStage<T, TNext>(callback, errback));
    }

    /// <summary>Adds one stage holding a callback and an errback that return Deferreds to chain on.</summary>
    public Deferred<TNext> AddCallbacks<TNext>(Func<T, Deferred<TNext>> callback, Func<Failure, Deferred<TNext>> errback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentNullException.ThrowIfNull(errback);
        return Continue<TNext>(new ChainStage<T, TNext>(callback, errback));
    }

    /// <summary>Adds one function for both paths; it receives the <see cref="Outcome{T}"/> and returns the next result.</summary>
    public Deferred<TNext> AddBoth<TNext>(Func<Outcome<T>, TNext> both)
    {
        ArgumentNullException.ThrowIfNull(both);
        return Continue<TNext>(new BothStage<T, TNext>(both));
    }

    /// <summary>Adds an action run on both paths that leaves the result unchanged, like a <c>finally</c> block.</summary>
    public Deferred<T> AddFinally(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return ContinueSameType(new FinallyStage(action));
    }

    /// <summary>
    /// Adds an untyped stage for Twisted-style code: the callback gets the value as an object, the errback the failure;
    /// either may return a value, a <see cref="Failure"/> (error path) or a Deferred (to chain on).
    /// </summary>
    public Deferred<object?> AddCallbacks(Func<object?, object?>? callback, Func<Failure, object?>? errback) =>
        Continue<object?>(new ObjectStage(callback, errback));

    /// <summary>
    /// Fires <paramref name="other"/> with this chain's result at this point (Twisted's <c>chainDeferred</c>). One
    /// direction only. The result is handed over: as in Twisted, the rest of this chain holds None, so the returned
    /// handle is untyped (<c>Deferred&lt;object?&gt;</c>, reading null) and this one becomes stale.
    /// </summary>
    public Deferred<object?> ChainDeferred(Deferred<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Supersede<object?>(new SplitStage<T>(
            value =>
            {
                other.Callback(value);
                return null;
            },
            failure =>
            {
                other.Errback(failure);
                return null;
            }));
    }

    // ---- timeouts and interop ---------------------------------------------------------------------------------------

    /// <summary>
    /// Cancels this Deferred if it has not fired after <paramref name="timeout"/> on <paramref name="clock"/>; the
    /// <see cref="CancelledException"/> that results is turned into a <see cref="DeferredTimeoutException"/>. The timeout
    /// covers the stages added before this call. A manual <see cref="Deferred.Cancel"/> keeps its plain
    /// <see cref="CancelledException"/>, and a canceller that fires the Deferred itself decides the outcome.
    /// </summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="clock">The clock that measures it: a reactor, or a <c>Clock</c> in tests.</param>
    /// <param name="onTimeoutCancel">
    /// Optional translation of the outcome when the timeout fired (Twisted's <c>onTimeoutCancel</c>); it receives the
    /// outcome and the timeout and returns the next result or throws.
    /// </param>
    public Deferred<T> AddTimeout(TimeSpan timeout, IReactorTime clock, Func<Outcome<T>, TimeSpan, T>? onTimeoutCancel = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ThrowIfStale();
        var convert = new TimeoutStage<T>(timeout, onTimeoutCancel);
        var delayedCall = clock.CallLater(timeout, () =>
        {
            convert.TimedOut = true;
            Cancel();
        });
        AddStage(convert);
        AddStage(new FinallyStage(() =>
        {
            if (delayedCall.Active)
            {
                delayedCall.Cancel();
            }
        }));
        return this;
    }

    /// <summary>
    /// Gets an awaiter: <c>await d</c> waits until the chain has a settled result, then resumes (synchronously, on the
    /// thread that fired the Deferred) with the value or throws the failure's exception with its original stack. Awaiting
    /// consumes the result: afterwards the chain holds null, and a failure counts as handled.
    /// </summary>
    /// <exception cref="InvalidOperationException">This handle is stale: a later callback changed the chain's type.</exception>
    public DeferredAwaiter<T> GetAwaiter()
    {
        ThrowIfStale();
        return new(this);
    }

    /// <summary>
    /// A <see cref="Task{TResult}"/> that completes with this Deferred's result (consuming it): canceled when the
    /// Deferred fails with <see cref="OperationCanceledException"/>, faulted on any other failure. When
    /// <paramref name="cancellationToken"/> is cancelled, the Deferred is cancelled on the synchronization context that
    /// was current here (the reactor thread, when called from it).
    /// </summary>
    public Task<T> AsTask(CancellationToken cancellationToken = default)
    {
        ThrowIfStale();
        return TaskInterop.ToTask(this, cancellationToken);
    }
}

/// <summary>A typed view of a chain owned by another Deferred (made when a callback changes the result type).</summary>
internal sealed class DeferredView<T>(Deferred chain) : Deferred<T>(chain, view: true)
{
}
