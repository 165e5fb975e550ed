namespace AsyncCore.Tests.Deferreds;

/// <summary>
/// Reads a Deferred's settled outcome the way Twisted's trial does (<c>successResultOf</c>, <c>failureResultOf</c>,
/// <c>assertNoResult</c>), by adding a callback, so the checks go through the public chain like user code does.
/// </summary>
internal static class DeferredAssert
{
    /// <summary>The value the Deferred has settled on; fails if it has no result or failed.</summary>
    public static T SuccessResultOf<T>(Deferred<T> d)
    {
        var outcome = OutcomeOf(d);
        if (outcome.Failure is { } failure)
        {
            Assert.Fail("Expected a success, got " + failure.GetTraceback());
        }
        return outcome.Value;
    }

    /// <summary>The failure the Deferred has settled on (consumed: it is not reported as unhandled).</summary>
    public static Failure FailureResultOf<T>(Deferred<T> d, params Type[] expected)
    {
        var outcome = OutcomeOf(d);
        if (outcome.Failure is not { } failure)
        {
            Assert.Fail($"Expected a failure, got the value {outcome.Value}");
            throw new InvalidOperationException();
        }
        d.ConsumeFailure();
        if (expected.Length > 0 && failure.Check(expected) is null)
        {
            Assert.Fail($"Expected one of {string.Join(", ", expected.Select(t => t.Name))}, got {failure.GetTraceback()}");
        }
        return failure;
    }

    /// <summary>Asserts the Deferred has no result now, without changing what later callbacks see.</summary>
    public static void NoResult<T>(Deferred<T> d)
    {
        var seen = false;
        // The untyped stage hands the value or the very same Failure on, so later callbacks see no difference.
        d.AddCallbacks(
            value =>
            {
                seen = true;
                return value;
            },
            failure =>
            {
                seen = true;
                return failure;
            });
        Assert.False(seen, "The Deferred has a result: " + d);
    }

    private static Outcome<T> OutcomeOf<T>(Deferred<T> d)
    {
        Outcome<T>? seen = null;
        // Observe then put the result back, as trial does, so the Deferred keeps its result for later callbacks.
        d.AddCallbacks(
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
        if (seen is not { } result)
        {
            Assert.Fail("The Deferred has no result yet: " + d);
            throw new InvalidOperationException();
        }
        return result;
    }
}
