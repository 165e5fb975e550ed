using System.Runtime.CompilerServices;

namespace AsyncCore.Reactor;

/// <summary>Names a reactor callback for logs and stall reports: its declaring type and method.</summary>
/// <remarks>
/// An <c>await</c> that resumes on the reactor reaches it as one of the runtime's own helpers (for example
/// <c>SynchronizationContextAwaitTaskContinuation</c>'s posting callback, or a socket's <c>Action&lt;object&gt;</c>),
/// carrying the continuation or the async method's state machine box. Naming the helper would tell a user nothing
/// about which code held the reactor thread, so the async method it resumes is named instead.
/// </remarks>
internal static class CallableName
{
    public static string Of(Delegate callable, object? state = null)
    {
        for (var unwrapped = 0; unwrapped < 8; unwrapped++)
        {
            // A delegate made from another (new SendOrPostCallback(action)) stands for the inner one, and one of
            // AsyncCore's own wrappers (CallFromThreadAsync's call) for the caller's delegate it runs.
            if (callable.Target is Delegate inner && callable.Method.Name == "Invoke")
            {
                callable = inner;
            }
            else if (callable.Target is ICallableWrapper wrapper)
            {
                callable = wrapper.Wrapped;
                state = null;
            }
            else
            {
                break;
            }
        }
        var method = callable.Method;
        var type = method.DeclaringType;
        if (ResumedMethod(callable.Target, 0) is { } resumed)
        {
            return resumed;
        }
        if (IsRuntimeHelper(type))
        {
            // The helper runs the continuation it was given: an async method's, or any other code's (a Deferred
            // bridged from a Task, say), which is then named as itself.
            if (state is Delegate posted)
            {
                return Of(posted);
            }
            if (ResumedMethod(state, 0) is { } boxed)
            {
                return boxed;
            }
        }
        return type is null ? method.Name : type.FullName + "." + method.Name;
    }

    /// <summary>Only a runtime helper's state is read: a user's own state is the user's business, whatever its type.</summary>
    private static bool IsRuntimeHelper(Type? type) =>
        type?.Namespace is { } space && (space == "System" || space.StartsWith("System.", StringComparison.Ordinal));

    /// <summary>The async method whose state machine <paramref name="candidate"/> is, boxes or resumes; null if none.</summary>
    private static string? ResumedMethod(object? candidate, int depth)
    {
        if (candidate is null || depth > 2)
        {
            return null;
        }
        if (candidate is IAsyncStateMachine machine)
        {
            return MethodOf(machine.GetType()); // A debug build's state machine is a class: the box may be the machine.
        }
        if (candidate is Delegate continuation)
        {
            return ResumedMethod(continuation.Target, depth + 1);
        }
        if (candidate is ITuple tuple)
        {
            for (var i = 0; i < tuple.Length; i++)
            {
                if (ResumedMethod(tuple[i], depth + 1) is { } name)
                {
                    return name;
                }
            }
            return null;
        }
        // The runtime's box (AsyncTaskMethodBuilder<T>.AsyncStateMachineBox<TStateMachine>) carries the machine's type.
        var type = candidate.GetType();
        if (type.IsGenericType)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                if (typeof(IAsyncStateMachine).IsAssignableFrom(argument))
                {
                    return MethodOf(argument);
                }
            }
        }
        return null;
    }

    /// <summary>
    /// "Namespace.Type.Method" from a compiler-generated state machine: <c>&lt;Method&gt;d__4</c> for a method,
    /// <c>&lt;Outer&gt;g__Method|2_0&gt;d</c> for a local function; a lambda's machine keeps its generated name.
    /// </summary>
    private static string MethodOf(Type machine)
    {
        var name = machine.Name;
        var local = name.IndexOf("g__", StringComparison.Ordinal);
        var bar = local < 0 ? -1 : name.IndexOf('|', local);
        var close = name.LastIndexOf('>');
        var method = bar > 0 ? name[(local + 3)..bar] : name.StartsWith('<') && close > 1 ? name[1..close] : name;
        return machine.DeclaringType is { } owner ? owner.FullName + "." + method : method;
    }
}
