namespace AsyncCore;

/// <summary>
/// <c>AddErrback(Action&lt;Failure&gt;)</c> for Deferreds of reference types: Twisted's errback that handles the failure
/// and returns None, so the chain continues on the success path with null.
/// </summary>
/// <remarks>
/// The rest of the chain is typed <c>T?</c>: after a handled failure it holds null, which a <c>Deferred&lt;T&gt;</c> of a
/// non-nullable type must never show. The value-type form lives in <see cref="DeferredValueErrbackExtensions"/> (two
/// classes, because C# picks between the two by their constraints and one class cannot declare both).
/// </remarks>
public static class DeferredErrbackExtensions
{
    /// <summary>
    /// Adds an errback that handles the failure without producing a value: like a Twisted errback returning None, the
    /// chain goes back to the success path with null. Values pass it by. The handle this is called on becomes stale.
    /// </summary>
    /// <returns>The rest of the chain, typed <c>T?</c>.</returns>
    public static Deferred<T?> AddErrback<T>(this Deferred<T> deferred, Action<Failure> errback)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(deferred);
        ArgumentNullException.ThrowIfNull(errback);
        return deferred.AddHandler<T?>(new HandleStage<T>(errback));
    }
}
