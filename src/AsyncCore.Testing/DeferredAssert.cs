using System.Globalization;

namespace AsyncCore.Testing;

/// <summary>
/// Assertions on a Deferred's result as it stands now (Twisted trial's <c>successResultOf</c>, <c>failureResultOf</c>
/// and <c>assertNoResult</c>), for tests that drive time and I/O by hand (<c>Clock</c>, <c>StringTransport</c>,
/// <see cref="MemoryReactor"/>) so that a Deferred has either fired or not when the test looks.
/// </summary>
/// <remarks>
/// Each assertion reads the result by adding a callback and errback that hand it on unchanged, through the public chain
/// as user code would; so later callbacks still see it. A failure read by <see cref="FailureResultOf{T}"/> or found by
/// <see cref="AssertNoResult{T}"/> is consumed: it is not reported as an unhandled error afterwards. A failed assertion
/// throws <see cref="AsyncCoreAssertionException"/>, whose message shows what the Deferred actually holds: the value, or
/// the failure with its traceback.
/// </remarks>
public static class DeferredAssert
{
    /// <summary>The value <paramref name="deferred"/> has succeeded with.</summary>
    /// <exception cref="AsyncCoreAssertionException">The Deferred has no result yet, or has failed.</exception>
    public static T SuccessResultOf<T>(Deferred<T> deferred)
    {
        ArgumentNullException.ThrowIfNull(deferred);
        var outcome = OutcomeOf(deferred);
        if (outcome is null)
        {
            throw new AsyncCoreAssertionException($"Success result expected on {deferred}, found no result instead.");
        }
        if (outcome.Value.Failure is { } failure)
        {
            throw new AsyncCoreAssertionException(
                $"Success result expected on {deferred}, found failure result instead:{Environment.NewLine}{failure.GetTraceback()}",
                failure.Value);
        }
        return outcome.Value.Value;
    }

    /// <summary>
    /// The failure <paramref name="deferred"/> has failed with, which must be of one of <paramref name="expectedTypes"/>
    /// (any exception type when none is given). The failure is consumed.
    /// </summary>
    /// <exception cref="AsyncCoreAssertionException">The Deferred has no result yet, has succeeded, or failed with an
    /// exception of none of the expected types.</exception>
    public static Failure FailureResultOf<T>(Deferred<T> deferred, params Type[] expectedTypes)
    {
        ArgumentNullException.ThrowIfNull(deferred);
        ArgumentNullException.ThrowIfNull(expectedTypes);
        var outcome = OutcomeOf(deferred);
        if (outcome is null)
        {
            throw new AsyncCoreAssertionException($"Failure result expected on {deferred}, found no result instead.");
        }
        if (outcome.Value.Failure is not { } failure)
        {
            throw new AsyncCoreAssertionException(
                $"Failure result expected on {deferred}, found success result ({Format(outcome.Value.Value)}) instead.");
        }
        deferred.ConsumeFailure();
        if (expectedTypes.Length > 0 && failure.Check(expectedTypes) is null)
        {
            var names = string.Join(", ", expectedTypes.Select(t => t.FullName));
            throw new AsyncCoreAssertionException(
                $"Failure of type ({names}) expected on {deferred}, found type {failure.Type.FullName} instead:{Environment.NewLine}{failure.GetTraceback()}",
                failure.Value);
        }
        return failure;
    }

    /// <summary>
    /// Asserts that <paramref name="deferred"/> has no result yet, without changing what later callbacks see. When it has
    /// failed, the failure is consumed, since the assertion error already reports it.
    /// </summary>
    /// <exception cref="AsyncCoreAssertionException">The Deferred has a result.</exception>
    public static void AssertNoResult<T>(Deferred<T> deferred)
    {
        ArgumentNullException.ThrowIfNull(deferred);
        var outcome = OutcomeOf(deferred);
        if (outcome is null)
        {
            return;
        }
        if (outcome.Value.Failure is { } failure)
        {
            deferred.ConsumeFailure();
            throw new AsyncCoreAssertionException(
                $"No result expected on {deferred}, found failure result instead:{Environment.NewLine}{failure.GetTraceback()}",
                failure.Value);
        }
        throw new AsyncCoreAssertionException($"No result expected on {deferred}, found success result ({Format(outcome.Value.Value)}) instead.");
    }

    private static Outcome<T>? OutcomeOf<T>(Deferred<T> deferred)
    {
        Outcome<T>? seen = null;
        // Observe and hand the result on unchanged (the untyped stages pass the very same value or Failure), as trial
        // does, so the Deferred keeps its result for the code under test.
        deferred.AddCallbacks(
            value =>
            {
                seen = Outcome<T>.FromValue(value);
                return value;
            },
            failure =>
            {
                seen = Outcome<T>.FromFailure(failure);
                return failure;
            });
        return seen;
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? value.GetType().FullName ?? "?",
    };
}
