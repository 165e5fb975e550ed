namespace AsyncCore;

/// <summary>
/// <c>AddErrback(Action&lt;Failure&gt;)</c> for Deferreds of value types: the chain continues as <c>T?</c>, null after
/// a handled failure (Twisted's None), the value otherwise. See <see cref="DeferredErrbackExtensions"/>.
/// </summary>
public static class DeferredValueErrbackExtensions
{
    /// <summary>
    /// Adds an errback that handles the failure without producing a value: the chain goes back to the success path
    /// with null (not <c>default(T)</c>, which would pass for a real value). The handle this is called on becomes stale.
    /// </summary>
    /// <returns>The rest of the chain, typed <c>T?</c> (<see cref="Nullable{T}"/>).</returns>
    public static Deferred<T?> AddErrback<T>(this Deferred<T> deferred, Action<Failure> errback)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(deferred);
        ArgumentNullException.ThrowIfNull(errback);
        return deferred.AddValueHandler<T?>(new HandleValueStage<T>(errback));
    }
}
