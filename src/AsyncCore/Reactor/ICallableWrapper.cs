namespace AsyncCore.Reactor;

/// <summary>
/// An AsyncCore object whose method the reactor runs on a caller's behalf (CallFromThreadAsync's call, say): stall
/// reports and error logs name the caller's delegate, which the user recognises, instead of the wrapper's method.
/// </summary>
internal interface ICallableWrapper
{
    /// <summary>The caller's delegate the wrapper runs.</summary>
    Delegate Wrapped { get; }
}
