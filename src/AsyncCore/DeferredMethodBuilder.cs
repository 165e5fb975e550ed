using System.Runtime.CompilerServices;

namespace AsyncCore;

/// <summary>
/// Lets <c>async</c> methods return <see cref="Deferred{T}"/> (the .NET counterpart of Twisted's <c>ensureDeferred</c>).
/// The method runs synchronously until its first await of something unfinished; an already-fired Deferred is awaited
/// without suspending. Cancelling the returned Deferred cancels the Deferred the method is awaiting at that moment; the
/// resulting exception is thrown into the method at its <c>await</c>, and if the method catches it and carries on, the
/// returned Deferred stays unfired until the method finishes.
/// </summary>
/// <typeparam name="T">The method's result type.</typeparam>
public struct DeferredMethodBuilder<T>
{
    private Deferred<T>? _deferred;

    /// <summary>Creates a builder (called by the compiler).</summary>
    public static DeferredMethodBuilder<T> Create() => default;

    /// <summary>The Deferred the async method returns.</summary>
    public Deferred<T> Task => _deferred ??= new AsyncDeferred<T>();

    /// <summary>Starts the state machine (called by the compiler).</summary>
    public void Start<TStateMachine>(ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine
    {
        // The Task builder's Start saves and restores the execution and synchronization contexts around the first
        // MoveNext (AsyncLocal changes made by the method's synchronous part do not leak to the caller), with access to
        // runtime internals that make it cheaper than doing the same through the public ExecutionContext API.
        AsyncTaskMethodBuilder.Create().Start(ref stateMachine);
    }

    /// <summary>Not used: the state machine is boxed by <see cref="AwaitOnCompleted{TAwaiter, TStateMachine}"/>.</summary>
    public void SetStateMachine(IAsyncStateMachine stateMachine) => _ = stateMachine;

    /// <summary>Fires the Deferred with the method's result.</summary>
    public void SetResult(T result)
    {
        if (_deferred is null)
        {
            // Finished without suspending: nothing can have been added to the chain yet.
            _deferred = Deferred.Succeed(result);
        }
        else if (_deferred is AsyncDeferred<T> running)
        {
            running.Finish(result);
        }
        else
        {
            _deferred.Callback(result);
        }
    }

    /// <summary>Fires the Deferred with the exception that escaped the method.</summary>
    public void SetException(Exception exception)
    {
        if (_deferred is AsyncDeferred<T> running)
        {
            running.Fail(exception);
        }
        else
        {
            (_deferred ??= new Deferred<T>()).Errback(exception);
        }
    }

    /// <summary>Schedules the state machine to resume when the awaiter completes.</summary>
    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine
    {
        var box = GetBox(ref stateMachine);
        box.Awaiting = awaiter is IDeferredAwaiter ? ((IDeferredAwaiter)awaiter).Awaited : null;
        box.Context = ExecutionContext.Capture();
        awaiter.OnCompleted(box.MoveNextAction);
    }

    /// <inheritdoc cref="AwaitOnCompleted{TAwaiter, TStateMachine}"/>
    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine
    {
        var box = GetBox(ref stateMachine);
        box.Awaiting = awaiter is IDeferredAwaiter ? ((IDeferredAwaiter)awaiter).Awaited : null;
        box.Context = ExecutionContext.Capture();
        awaiter.UnsafeOnCompleted(box.MoveNextAction);
    }

    private AsyncDeferred<T> GetBox<TStateMachine>(ref TStateMachine stateMachine) where TStateMachine : IAsyncStateMachine
    {
        if (_deferred is AsyncDeferred<T>.Box<TStateMachine> existing)
        {
            return existing;
        }
        // First suspension: move the state machine to the heap. The Deferred is the box, so an async method costs one
        // allocation. Set the field before copying, so the copy's builder points at the box too.
        var box = new AsyncDeferred<T>.Box<TStateMachine>();
        _deferred = box;
        box.StateMachine = stateMachine;
        return box;
    }
}

/// <summary>The Deferred returned by an <c>async Deferred&lt;T&gt;</c> method.</summary>
internal class AsyncDeferred<T> : Deferred<T>
{
    /// <summary>The Deferred the method is suspended on, when it is awaiting one.</summary>
    public Deferred? Awaiting;

    public Action MoveNextAction { get; protected init; } = static () => { };

    /// <summary>The execution context (AsyncLocal values) captured at the await the method is suspended on.</summary>
    public ExecutionContext? Context;

    private protected override bool HasInternalCanceller => true;

    private protected override bool CancelInternally()
    {
        if (Awaiting is { } awaited)
        {
            // Cancellation goes to what the method waits on; the method decides what happens next.
            awaited.Cancel();
            return true;
        }
        return false;
    }

    public void Finish(T result)
    {
        // A method cancelled while awaiting something that is not a Deferred was already failed with CancelledException.
        if (!Called)
        {
            Awaiting = null;
            Callback(result);
        }
    }

    public void Fail(Exception exception)
    {
        if (!Called)
        {
            Awaiting = null;
            Errback(exception);
        }
    }

    internal sealed class Box<TStateMachine> : AsyncDeferred<T> where TStateMachine : IAsyncStateMachine
    {
        public TStateMachine StateMachine = default!;
        public Box() => MoveNextAction = MoveNext;

        private void MoveNext()
        {
            Awaiting = null;
            var context = Context;
            Context = null;
            if (context is null)
            {
                StateMachine.MoveNext();
            }
            else
            {
                ExecutionContext.Run(context, static state => ((Box<TStateMachine>)state!).StateMachine.MoveNext(), this);
            }
        }
    }
}
