namespace AsyncCore.Enterprise;

/// <summary>
/// Marks the execution context of user code running inside one of a pool's calls (an interaction or
/// <c>RunWithConnection</c>), so that the pool recognises calls made from there: directly (on the worker thread: refused)
/// or through <c>BlockingCallFromThread</c>, which runs its function on the reactor thread with the worker's execution
/// context (a call that could never get a connection is refused instead of deadlocking).
/// </summary>
internal sealed class PoolCaller
{
    private static readonly AsyncLocal<PoolCaller?> s_current = new();
    // Callers whose user code is running, in every pool: while there are none (the common case, and always for queries),
    // Current skips the AsyncLocal read that every pool call would otherwise pay.
    private static int s_active;

    private readonly PoolCaller? _previous;
    private volatile bool _active = true;

    private PoolCaller(ConnectionPool pool, PoolCaller? previous)
    {
        Pool = pool;
        _previous = previous;
    }

    /// <summary>The innermost pool call whose user code is running in this execution context, if any.</summary>
    /// <remarks>
    /// May answer null for a caller that is no longer <see cref="Active"/>; never for an active one: Enter counts it
    /// before the user code runs, and Exit uncounts it after the user code returned.
    /// </remarks>
    public static PoolCaller? Current => Volatile.Read(ref s_active) == 0 ? null : s_current.Value;

    /// <summary>The pool whose connection the user code holds.</summary>
    public ConnectionPool Pool { get; }

    /// <summary>True until the user code returns (the context may outlive it, captured by a timer for example).</summary>
    public bool Active => _active;

    /// <summary>Calls this user code submitted to its own pool that have not fired yet. Reactor thread only.</summary>
    public int Pending { get; set; }

    /// <summary>Marks the current execution context as running user code of a call on <paramref name="pool"/>.</summary>
    public static PoolCaller Enter(ConnectionPool pool)
    {
        var caller = new PoolCaller(pool, s_current.Value);
        Interlocked.Increment(ref s_active);
        s_current.Value = caller;
        return caller;
    }

    /// <summary>The user code returned.</summary>
    public void Exit()
    {
        _active = false;
        s_current.Value = _previous;
        Interlocked.Decrement(ref s_active);
    }
}
