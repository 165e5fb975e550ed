using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace AsyncCore;

/// <summary>
/// The untyped core of a Deferred: a chain of callback/errback stages and the current result travelling through it,
/// with Twisted's exact semantics (synchronous firing, chaining of returned Deferreds, pause counting, cancellation).
/// Use the typed <see cref="Deferred{T}"/>; this base holds the state that every typed view of one chain shares.
/// </summary>
/// <remarks>
/// <para>
/// <b>Not thread-safe, by design.</b> A Deferred belongs to one thread (normally the reactor thread), as in Twisted:
/// fire it, add callbacks to it and cancel it from that thread only. From another thread, hand the work over with the
/// reactor's <c>CallFromThread</c>.
/// </para>
/// <para>
/// A callback may change the result type: <c>AddCallback&lt;TNext&gt;</c> returns a <see cref="Deferred{TNext}"/> that
/// is a typed <em>view</em> of the same chain (cancelling, pausing or awaiting either acts on the one chain).
/// </para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public abstract partial class Deferred
{
    /// <summary>The chain this object is a view of; <c>this</c> for the Deferred that owns the chain.</summary>
    internal Deferred Chain
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _chain ?? this;
    }

    // Null for the Deferred that owns its chain (most of them): a Deferred storing itself here would cost a GC write
    // barrier in every constructor.
    private readonly Deferred? _chain;

    // Chain state. Only the owner's fields are used; views forward to the owner through Chain.
    // The stages not run yet, as a circular list: _last.Next is the first (one field instead of a head and a tail).
    private Stage? _last;
    /// <summary>
    /// The current result: null (Twisted's None), a <see cref="Failure"/>, an <see cref="IResultSource"/> (a typed value
    /// stored without boxing in the stage or Deferred that produced it), or any other object (a boxed value). Before the
    /// chain fires it holds the canceller, if any: read it only once <c>_called</c> is set. While the chain waits on a
    /// Deferred returned by a callback (<see cref="Waiting"/>) it holds that Deferred, the result being None meanwhile: one
    /// field less in every Deferred, most of which never wait.
    /// </summary>
    internal object? Current;
    private DebugInfo? _debugInfo;
    private int _paused;
    private bool _called;
    private bool _runningCallbacks;
    // The rarely set flags share one byte: with the two bools above and the pause count, the base fields end on a
    // pointer boundary, so a Deferred<int> takes 72 bytes rather than 80.
    private RareFlags _rareFlags;

    [Flags]
    private enum RareFlags : byte
    {
        None = 0,
        SuppressAlreadyCalled = 1,
        Cancelling = 2,
        Waiting = 4,
    }

    /// <summary>The next fire is ignored, once: the Deferred was cancelled without a canceller (Twisted's <c>_suppressAlreadyCalled</c>).</summary>
    private bool SuppressAlreadyCalled
    {
        get => (_rareFlags & RareFlags.SuppressAlreadyCalled) != 0;
        set => SetFlag(RareFlags.SuppressAlreadyCalled, value);
    }

    /// <summary>The canceller is running.</summary>
    private bool Cancelling
    {
        get => (_rareFlags & RareFlags.Cancelling) != 0;
        set => SetFlag(RareFlags.Cancelling, value);
    }

    /// <summary>The chain waits on a Deferred returned by a callback, held in <see cref="Current"/>.</summary>
    private bool Waiting
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_rareFlags & RareFlags.Waiting) != 0;
        set => SetFlag(RareFlags.Waiting, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetFlag(RareFlags flag, bool value) => _rareFlags = value ? _rareFlags | flag : _rareFlags & ~flag;

    private protected Deferred()
    {
        if (DebugInfo.Capturing)
        {
            _debugInfo = new DebugInfo
            {
                Creator = CaptureCallerStack(),
                // A thread with a tracker installed is a reactor thread (or a test harness standing in for one).
                OwnerThread = UnhandledFailureTracker.Current is null ? 0 : Environment.CurrentManagedThreadId,
            };
        }
    }

    /// <summary>
    /// With debugging on, refuses a use of a reactor-thread Deferred from another thread: a Deferred is not thread-safe,
    /// and such a race loses or doubles callbacks silently (seen: 115 lost and 665 doubled in 30,000 runs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckThread()
    {
        if (_debugInfo is { OwnerThread: not 0 } info && info.OwnerThread != Environment.CurrentManagedThreadId)
        {
            ThrowForeignThread(info.OwnerThread);
        }
    }

    [DoesNotReturn]
    private static void ThrowForeignThread(int owner) => throw new InvalidOperationException(
        $"A Deferred created on reactor thread {owner} was used from thread {Environment.CurrentManagedThreadId}. " +
        "Deferreds belong to their reactor thread: hand the work over with reactor.CallFromThread, or from other " +
        "threads await reactor.CallFromThreadAsync(() => ...), which returns a Task.");

    private protected Deferred(Deferred chain) => _chain = chain.Chain;

    /// <summary>
    /// The stage that changed the chain's result type after this handle was the chain's end; non-null means this typed
    /// handle is stale. Per handle, not per chain: the view returned by that call is not stale.
    /// </summary>
    private protected Stage? SupersededBy;

    /// <summary>Throws when a later <c>Add*</c> call changed the chain's type after this handle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ThrowIfStale()
    {
        if (SupersededBy is not null)
        {
            ThrowStale();
        }
    }

    [DoesNotReturn]
    private void ThrowStale()
    {
        var stage = SupersededBy!;
        var callable = stage.UserCallable?.Method is { } method ? $" ({method.DeclaringType?.Name}.{method.Name})" : "";
        var next = stage.OutputType is { } type ? TypeName(type) : "another type";
        var self = GetType();
        while (self.BaseType is { } parent && !(self.IsGenericType && self.GetGenericTypeDefinition() == typeof(Deferred<>)))
        {
            self = parent;
        }
        throw new InvalidOperationException(
            $"This {TypeName(self)} handle is stale: a callback added to it{callable} changed the chain's result type " +
            $"to {next}. Use the Deferred<{next}> that the Add* call returned; this handle can still be cancelled " +
            "(and, if it started the chain, fired).");
    }

    /// <summary>
    /// When true, new Deferreds record the stack that created them and the stack that first fired them; both appear in
    /// <see cref="AlreadyCalledException"/> messages and in unhandled-error reports (Twisted's <c>setDebugging</c>).
    /// Costly: leave off in production. Process-wide, like Twisted's switch, for code that runs without a reactor; to
    /// debug one reactor's thread only, use <c>ReactorOptions.DebugDeferreds</c> (or <see cref="UnhandledFailureTracker.Debug"/>).
    /// </summary>
    public static bool Debug { get; set; }

    /// <summary>True once <c>Callback</c> or <c>Errback</c> has been called.</summary>
    public bool Called => Chain._called;

    /// <summary>The pause count: above zero, no callbacks run (a chained wait counts as one pause).</summary>
    public int Paused => Chain._paused;

    /// <summary>True when the chain is waiting for another Deferred returned by one of its callbacks.</summary>
    public bool IsWaiting => Chain.Waiting;

    /// <summary>The Deferred this chain waits on, or null.</summary>
    private Deferred? WaitingOn => Waiting ? (Deferred)Current! : null;

    /// <summary>
    /// True when the Deferred has fired, is not paused or waiting and is not running callbacks: its current result is
    /// settled and can be read.
    /// </summary>
    public bool HasResult
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var c = Chain;
            return c._called && c._paused == 0 && !c._runningCallbacks;
        }
    }

    /// <summary>The current result as an object (a boxed value, or a <see cref="Failure"/>), or null.</summary>
    /// <remarks>Reading it does not mark a failure as handled; see <see cref="ConsumeFailure"/>.</remarks>
    public object? CurrentResult => Chain._called && !Chain.Waiting ? BoxResult(Chain.Current) : null;

    /// <summary>The current failure, when the current result is one; otherwise null.</summary>
    public Failure? CurrentFailure => Chain._called ? Chain.Current as Failure : null;

    private string DebuggerDisplay
    {
        get
        {
            var c = Chain;
            if (c.WaitingOn is { } inner) return $"Deferred (waiting on Deferred {RuntimeHelpers.GetHashCode(inner):x})";
            if (!c._called) return "Deferred (not fired)";
            return $"Deferred (current result: {BoxResult(c.Current) ?? "null"}{(c._paused > 0 ? ", paused" : "")})";
        }
    }

    /// <inheritdoc />
    public override string ToString() => DebuggerDisplay;

    /// <summary>
    /// Increments the pause count: no callbacks run until a matching <see cref="Unpause"/>, even if the Deferred fires.
    /// </summary>
    public void Pause()
    {
        Chain.CheckThread();
        Chain._paused++;
    }

    /// <summary>Decrements the pause count; at zero, runs the callbacks that are due.</summary>
    public void Unpause()
    {
        var c = Chain;
        c.CheckThread();
        c._paused--;
        if (c._paused == 0 && c._called)
        {
            c.RunCallbacks();
        }
    }

    /// <summary>
    /// Cancels the Deferred. Before it fires: calls its canceller, and if that did not fire it (or there is none), errbacks
    /// with <see cref="CancelledException"/>; without a canceller the producer's next fire is then silently ignored, once.
    /// After it fired but while it waits on a Deferred returned by a callback: cancels that inner Deferred.
    /// Otherwise it does nothing. A canceller that throws does not make <c>Cancel</c> throw: the exception is logged
    /// and, if the Deferred is still unfired, it fails with a <see cref="CancelledException"/> whose inner exception is
    /// the canceller's.
    /// </summary>
    public void Cancel()
    {
        var c = Chain;
        c.CheckThread();
        if (!c._called)
        {
            if (c.Cancelling)
            {
                // Cancelled again from inside its own canceller (directly, or through cancellers that cancel each
                // other): the outer Cancel finishes the job once the canceller returns. Running the canceller again
                // would recurse until the stack overflows.
                return;
            }
            c.Cancelling = true;
            var hadCanceller = true;
            var asynchronous = false;
            Exception? cancellerError = null;
            try
            {
                asynchronous = c.InvokeCanceller(out hadCanceller);
            }
#pragma warning disable CA1031 // A failing canceller is defined to be logged, with the CancelledException fallback below.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // Twisted lets this escape from cancel() and leaves the Deferred in an undefined state (#6676); here the
                // error is logged and carried by the CancelledException the Deferred fails with.
                cancellerError = ex;
                AsyncCoreLogging.Deferred.LogError(ex, "The canceller of a Deferred threw an exception");
            }
            finally
            {
                c.Cancelling = false;
            }
            if (!hadCanceller)
            {
                c.SuppressAlreadyCalled = true;
            }
            if (!c._called && (!asynchronous || cancellerError is not null))
            {
                c.StartRunCallbacks(new Failure(cancellerError is null
                    ? new CancelledException()
                    : new CancelledException("The Deferred was cancelled; its canceller threw an exception.", cancellerError)));
            }
        }
        else
        {
            c.WaitingOn?.Cancel();
        }
    }

    /// <summary>
    /// Marks the current failure as handled so that it is not reported as unhandled, and returns it (null if the
    /// current result is not a failure). The failure stays the current result.
    /// </summary>
    public Failure? ConsumeFailure()
    {
        var c = Chain;
        c._debugInfo?.ClearFailure();
        return c.Current as Failure;
    }

    /// <summary>
    /// Runs the canceller. Returns true when cancellation completes asynchronously (the chain must not fall back to a
    /// <see cref="CancelledException"/> errback even though it is still unfired).
    /// </summary>
    private protected abstract bool InvokeCanceller(out bool hadCanceller);

    // ---- firing ---------------------------------------------------------------------------------------------------

    internal void StartRunCallbacks(object? result)
    {
        CheckThread();
        if (_called)
        {
            if (SuppressAlreadyCalled)
            {
                SuppressAlreadyCalled = false;
                return;
            }
            throw CreateAlreadyCalled();
        }
        if (DebugInfo.Capturing)
        {
            (_debugInfo ??= new DebugInfo()).Invoker = CaptureCallerStack();
        }
        _called = true;
        Current = result; // also drops the canceller, which must not run afterwards
        RunCallbacks();
    }

    /// <summary>Marks a new Deferred that has no stages as fired with <paramref name="result"/> (a fast path).</summary>
    private protected void SetFired(object? result)
    {
        _called = true;
        Current = result;
    }

    /// <summary>
    /// The stack of the code calling into Deferred or Failure: the frames of those types themselves are dropped. A fixed number
    /// of frames to skip would be wrong, because how many constructor and firing frames there are depends on what the
    /// JIT inlined.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026",
        Justification = "Debug mode only. Where trimming removed a frame's metadata, GetMethod returns null and the stack is kept from that frame on.")]
    internal static StackTrace CaptureCallerStack()
    {
        var frames = new StackTrace(1, fNeedFileInfo: true).GetFrames();
        var first = 0;
        while (first < frames.Length - 1 && frames[first].GetMethod()?.DeclaringType is { } type && (typeof(Deferred).IsAssignableFrom(type) || type == typeof(Failure)))
        {
            first++;
        }
        return new StackTrace(frames[first..]);
    }

    private AlreadyCalledException CreateAlreadyCalled()
    {
        if (_debugInfo is { } info && (info.Creator is not null || info.Invoker is not null))
        {
            return new AlreadyCalledException(
                "The Deferred has already been called." + Environment.NewLine +
                "Created at:" + Environment.NewLine + info.Creator + Environment.NewLine +
                "First fired at:" + Environment.NewLine + info.Invoker);
        }
        return new AlreadyCalledException();
    }

    // ---- the chain ------------------------------------------------------------------------------------------------

    /// <summary>Appends a stage and, when the chain has fired, runs whatever is due now.</summary>
    internal void AddStage(Stage stage)
    {
        var c = Chain;
        c.CheckThread();
        c.AppendWithoutRunning(stage);
        if (c._called)
        {
            c.RunCallbacks();
        }
    }

    /// <summary>
    /// Runs <paramref name="observer"/> over the settled result now, exactly as a stage appended to a settled chain would
    /// run (its return value becomes the current result, and stages added meanwhile run after it), without allocating
    /// the stage. The observer returns its input or a plain result (never a Deferred to chain on). Returns false, doing
    /// nothing, when the chain is not settled: append a stage instead.
    /// </summary>
    internal bool TryObserveSettled<TState>(TState state, int index, Func<TState, int, object?, object?> observer)
    {
        var c = Chain;
        c.CheckThread();
        if (!c.SettledWithoutStages)
        {
            return false;
        }
        object? next;
        c._runningCallbacks = true;
        try
        {
            next = observer(state, index, c.Current);
        }
        catch (Exception ex)
        {
            next = new Failure(ex);
        }
        finally
        {
            c._runningCallbacks = false;
        }
        if (!ReferenceEquals(next, c.Current) || c._last is not null)
        {
            // The result changed (an error consumed), or the observer added stages: settle as the stage loop does.
            c.Current = next;
            c.RunCallbacks();
        }
        return true;
    }

    /// <summary>Fired, not paused or waiting, not running callbacks, and no stage left to run (owner's state).</summary>
    private bool SettledWithoutStages
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _called && _paused == 0 && !_runningCallbacks && _last is null;
    }

    /// <summary>
    /// Reads the settled success value without changing the chain, when the chain is settled, has no stages to run and
    /// holds a value (not a failure, not a consumed result). The fast path of observers that only look at a success
    /// (a <c>DeferredList</c> over fired inputs): no stage, no delegate, nothing to undo.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryPeekSettledValue<T>(out T value)
    {
        var c = Chain;
        c.CheckThread();
        var current = c.Current;
        if (c.SettledWithoutStages && current is not Failure && !ReferenceEquals(current, Consumed))
        {
            value = Read<T>(current);
            return true;
        }
        value = default!;
        return false;
    }

    private void AppendWithoutRunning(Stage stage)
    {
        if (_last is null)
        {
            stage.Next = stage;
        }
        else
        {
            stage.Next = _last.Next;
            _last.Next = stage;
        }
        _last = stage;
    }

    /// <summary>
    /// Runs due stages. Iterative, as in Twisted: when a stage returns a Deferred that already has a result, the result is
    /// taken at once; when it returns one that does not, this chain pauses and a continuation is appended to the inner
    /// chain. When an inner chain reaches such a continuation, the outer chain is resumed by this same loop (a stack of
    /// chains kept on the heap), so arbitrarily long chains of Deferreds do not grow the call stack.
    /// </summary>
    private void RunCallbacks()
    {
        if (_runningCallbacks)
        {
            // Stages added while a callback runs are appended and run after it returns, never nested inside it.
            return;
        }
        Deferred current = this;
        List<Deferred>? waiting = null;
        while (true)
        {
            if (current._paused > 0)
            {
                // This chain will not produce a result yet; whoever waits on it keeps waiting.
                return;
            }
            var finished = true;
            while (current._last is { } last)
            {
                var stage = last.Next!;
                if (ReferenceEquals(stage, last))
                {
                    current._last = null;
                }
                else
                {
                    last.Next = stage.Next;
                }
                stage.Next = null;

                if (stage is Continuation continuation)
                {
                    // The inner chain reached the point where the outer one waits: move the result over.
                    var outer = continuation.Outer;
                    outer.Waiting = false;
                    outer.Current = current.Current;
                    current.Current = Consumed;
                    current._debugInfo?.ClearFailure();
                    outer._paused--;
                    (waiting ??= new List<Deferred>(4)).Add(current);
                    current = outer;
                    finished = false;
                    break;
                }

                object? next;
                var input = current.Current;
                current._runningCallbacks = true;
                try
                {
                    next = stage.Invoke(input);
                }
                catch (Exception ex)
                {
                    next = new Failure(ex);
                }
                finally
                {
                    current._runningCallbacks = false;
                }

                // A stage that passes its input through may hand back a Deferred that is only the typed store of a value
                // (see IResultSource); only a Deferred the callback itself returned is one to chain on (a stage marks
                // the ambiguous case, a callback returning the Deferred that holds its input, with ReturnedInput).
                Deferred? returned = null;
                if (ReferenceEquals(next, Stage.ReturnedInput))
                {
                    returned = (Deferred)input!;
                }
                else if (next is Deferred deferred && !ReferenceEquals(next, input))
                {
                    returned = deferred;
                }
                if (returned is not null)
                {
                    var inner = returned.Chain;
                    if (ReferenceEquals(inner, current))
                    {
                        current.Current = new Failure(new InvalidOperationException(
                            "A callback returned the Deferred it was attached to; the chain would wait on itself forever."));
                        continue;
                    }
                    if (!inner._called || inner.Waiting || inner._paused > 0)
                    {
                        // Wait for the inner chain: pause, and resume when it reaches the continuation.
                        current._paused++;
                        current.Waiting = true;
                        current.Current = inner;
                        inner.AppendWithoutRunning(new Continuation(current));
                        break;
                    }
                    // The inner chain already has a result: take it (the inner one is left holding null).
                    current.Current = inner.Current;
                    inner.Current = Consumed;
                    inner._debugInfo?.ClearFailure();
                }
                else
                {
                    current.Current = next;
                }
            }

            if (!finished)
            {
                continue;
            }
            if (current.Current is Failure failure)
            {
                // The chain stopped on a failure: remember it, to report it if nothing ever handles it.
                (current._debugInfo ??= new DebugInfo()).SetFailure(failure, current);
            }
            else
            {
                current._debugInfo?.ClearFailure();
            }
            if (waiting is null || waiting.Count == 0)
            {
                return;
            }
            current = waiting[^1];
            waiting.RemoveAt(waiting.Count - 1);
        }
    }

    /// <summary>Reads a result object as a <typeparamref name="T"/> without boxing when it was produced typed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T Read<T>(object? result)
    {
        // Class checks first: they are cheaper than the generic interface check and cover the common cases (a value
        // stored by Callback in its Deferred, or produced by a typed callback stage).
        if (result is Deferred<T> fired)
        {
            return fired.StoredValue;
        }
        if (result is ValueStage<T> stage)
        {
            return stage.Value;
        }
        if (result is IResultSource<T> typed)
        {
            return typed.Value;
        }
        if (result is null)
        {
            // Only untyped stages (Deferred<object?>) and the T? forms of AddErrback produce null, so T admits it here.
            return default!;
        }
        if (result is IResultSource other)
        {
            return (T)other.Boxed!;
        }
        if (ReferenceEquals(result, Consumed))
        {
            ThrowConsumed(typeof(T));
        }
        return (T)result;
    }

    /// <summary>
    /// The result a chain holds once its result was taken (by <c>await</c>, by a Deferred waiting on it, by
    /// <c>Race</c>, by a <c>DeferredList</c> consuming errors, by <c>ChainDeferred</c>). Twisted leaves None there; untyped
    /// code still reads null, but a typed read fails with a clear error instead of handing a null to a
    /// <c>Deferred&lt;string&gt;</c> or a zero to a <c>Deferred&lt;int&gt;</c>.
    /// </summary>
    internal static readonly object Consumed = new ConsumedResult();

    [DoesNotReturn]
    private static void ThrowConsumed(Type type) => throw new InvalidOperationException(
        $"The result of this Deferred<{TypeName(type)}> was already consumed (by await, by a Deferred that chained on it, " +
        "by Race, by a DeferredList with consumeErrors or by ChainDeferred); like Twisted, the chain now holds None, " +
        $"which is not a {TypeName(type)}. Read the result where it was consumed, or add callbacks before that point.");

    /// <summary>A readable C# name for a type in messages (<c>Deferred&lt;int&gt;</c> rather than <c>Deferred`1</c>).</summary>
    internal static string TypeName(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return TypeName(underlying) + "?";
        }
        if (!type.IsGenericType)
        {
            return type.Name;
        }
        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return (tick < 0 ? name : name[..tick]) + "<" + string.Join(", ", type.GetGenericArguments().Select(TypeName)) + ">";
    }

    /// <summary>Turns a result object into the plain object a user expects (a boxed value, a Failure or null).</summary>
    internal static object? BoxResult(object? result) =>
        result is IResultSource source ? source.Boxed : ReferenceEquals(result, Consumed) ? null : result;

    /// <summary>Takes the current result out of a settled chain, leaving null, as awaiting does in Twisted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal object? TakeResult()
    {
        var c = Chain;
        var result = c.Current;
        c.Current = Consumed;
        c._debugInfo?.ClearFailure();
        return result;
    }

    /// <summary>The Deferred this chain waits on, if any (for diagnostics and cancellation).</summary>
    internal Deferred? ChainedTo => Chain.WaitingOn;

    private sealed class ConsumedResult
    {
        public override string ToString() => "None (consumed)";
    }

    /// <summary>The hidden stage that hands an inner chain's result to the outer chain waiting on it.</summary>
    private sealed class Continuation(Deferred outer) : Stage
    {
        public readonly Deferred Outer = outer;

        public override object? Invoke(object? result) => throw new UnreachableException();
    }
}
