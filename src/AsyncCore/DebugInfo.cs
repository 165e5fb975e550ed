using System.Diagnostics;

namespace AsyncCore;

/// <summary>
/// What a Deferred remembers for diagnostics: in debug mode, the stacks that created it and first fired it; and the
/// failure it ended on, if nothing has handled it yet. When the Deferred is garbage-collected while still holding an
/// unhandled failure, the finalizer reports it (Twisted's "Unhandled error in Deferred").
/// </summary>
internal sealed class DebugInfo
{
    private Failure? _unhandled;

    public StackTrace? Creator;
    public StackTrace? Invoker;

    public void SetFailure(Failure failure, Deferred owner)
    {
        _ = owner;
        _unhandled = failure;
    }

    public void ClearFailure() => _unhandled = null;

    ~DebugInfo()
    {
        if (_unhandled is { } failure)
        {
            _unhandled = null;
            UnhandledErrors.Report(failure, Creator, Invoker);
        }
    }
}
