using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;

namespace AsyncCore;

/// <summary>
/// An error travelling down a <see cref="Deferred{T}"/> chain: the exception plus the information needed to raise
/// it again without losing its original stack trace. The .NET counterpart of Twisted's <c>twisted.python.failure.Failure</c>.
/// </summary>
/// <remarks>
/// A <see cref="Failure"/> is cheap: it keeps the exception and an <see cref="ExceptionDispatchInfo"/>. Only when
/// <see cref="Deferred.Debug"/> is on does it also capture the stack at the point the failure was made, which helps when
/// the exception was created but never thrown (for example <c>d.Errback(new IOException())</c>).
/// </remarks>
[DebuggerDisplay("Failure: {Type.Name}: {Value.Message}")]
public sealed class Failure
{
    private readonly ExceptionDispatchInfo _dispatch;

    /// <summary>Wraps <paramref name="exception"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    public Failure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        _dispatch = ExceptionDispatchInfo.Capture(exception);
        if (DebugInfo.Capturing)
        {
            CreationStack = Deferred.CaptureCallerStack();
        }
    }

    /// <summary>The wrapped exception (Twisted's <c>failure.value</c>).</summary>
    public Exception Value => _dispatch.SourceException;

    /// <summary>The exception's runtime type (Twisted's <c>failure.type</c>).</summary>
    public Type Type => Value.GetType();

    /// <summary>Where the failure was made, when <see cref="Deferred.Debug"/> was on; otherwise null.</summary>
    public StackTrace? CreationStack { get; }

    /// <summary>
    /// Returns the first of <paramref name="types"/> that the exception is an instance of (by inheritance), or null.
    /// </summary>
    public Type? Check(params Type[] types)
    {
        ArgumentNullException.ThrowIfNull(types);
        foreach (var type in types)
        {
            if (type.IsInstanceOfType(Value))
            {
                return type;
            }
        }
        return null;
    }

    /// <summary>True when the exception is a <typeparamref name="TException"/>.</summary>
    public bool Check<TException>() where TException : Exception => Value is TException;

    /// <summary>
    /// Returns the first of <paramref name="types"/> that matches; when none does, raises the <em>original</em>
    /// exception again (with its stack), so an errback that traps lets other errors keep propagating.
    /// </summary>
    public Type Trap(params Type[] types)
    {
        var match = Check(types);
        if (match is null)
        {
            ThrowException();
        }
        return match!;
    }

    /// <summary>Like <see cref="Trap(Type[])"/> for a single exception type.</summary>
    public TException Trap<TException>() where TException : Exception
    {
        if (Value is TException matched)
        {
            return matched;
        }
        ThrowException();
        return null!;
    }

    /// <summary>Raises the wrapped exception again, keeping its original stack trace.</summary>
    [DoesNotReturn]
    [StackTraceHidden]
    public void ThrowException() => _dispatch.Throw();

    /// <summary>The exception's message (Twisted's <c>getErrorMessage</c>).</summary>
    public string GetErrorMessage() => Value.Message;

    /// <summary>
    /// The full traceback: exception type, message, inner exceptions and stack, plus the creation stack when the
    /// failure was made in debug mode.
    /// </summary>
    public string GetTraceback()
    {
        var text = Value.ToString();
        return CreationStack is null ? text : text + Environment.NewLine + "Failure created at:" + Environment.NewLine + CreationStack;
    }

    /// <inheritdoc />
    public override string ToString() => $"[Failure instance: {Type.FullName}: {Value.Message}]";
}
