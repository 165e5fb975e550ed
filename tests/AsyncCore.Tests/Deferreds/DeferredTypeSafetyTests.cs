namespace AsyncCore.Tests.Deferreds;

/// <summary>
/// A typed handle never sees a value of another type, and no public path hands a null to a non-nullable <c>T</c>. The
/// chain keeps Twisted's semantics (one chain, any handle can cancel it, the first handle fires it); what changes is
/// that a handle made stale by a type change, or a result Twisted would leave as None, fails with a clear error instead
/// of an <see cref="InvalidCastException"/> or a silent <c>null</c>/<c>0</c>.
/// </summary>
public class DeferredTypeSafetyTests
{
    private sealed record Person(string Name);

    private static (Deferred<int> Original, Deferred<string> Text) ChangedType()
    {
        var d = new Deferred<int>();
        var rest = d.AddCallback(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return (d, rest);
    }

    private static void AssertStale(Action action)
    {
        var error = Assert.Throws<InvalidOperationException>(action);
        Assert.Contains("stale", error.Message, StringComparison.Ordinal);
        Assert.Contains("to String", error.Message, StringComparison.Ordinal);
        // It names the callback that changed the type (the lambda of ChangedType).
        Assert.Contains(nameof(ChangedType), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StaleHandle_Result_FailsClearlyInsteadOfInvalidCast()
    {
        var (d, rest) = ChangedType();
        d.Callback(5);

        Assert.Equal("5", rest.Result);
        AssertStale(() => _ = d.Result);
        AssertStale(() => d.TryGetResult(out _));
    }

    [Fact]
    public void StaleHandle_AddingCallbacks_FailsBeforeAnythingIsAdded()
    {
        var (d, rest) = ChangedType();

        AssertStale(() => d.AddCallback(x => x + 1));
        AssertStale(() => d.AddCallback(_ => { }));
        AssertStale(() => d.AddCallback(x => Deferred.Succeed(x)));
        AssertStale(() => d.AddErrback(_ => 0));
        AssertStale(() => d.AddErrback(f => f));
        AssertStale(() => d.AddErrback(_ => { }));
        AssertStale(() => d.AddBoth(o => o.Succeeded));
        AssertStale(() => d.AddFinally(() => { }));
        AssertStale(() => d.AddCallbacks((object? o) => o, null));
        AssertStale(() => d.ChainDeferred(new Deferred<int>()));
        AssertStale(() => d.AddTimeout(TimeSpan.FromSeconds(1), new AsyncCore.Tasks.Clock()));
        AssertStale(() => _ = new DeferredList<int>([d]));

        // Nothing was appended: the chain still ends with the string.
        d.Callback(3);
        Assert.Equal("3", rest.Result);
    }

    [Fact]
    public void StaleHandle_Await_FailsClearly()
    {
        var (d, _) = ChangedType();

        AssertStale(() => d.GetAwaiter());
        AssertStale(() => d.AsTask());
        var awaiting = AwaitAsync(d);
        d.Callback(1);
        var failure = DeferredAssert.FailureResultOf(awaiting, typeof(InvalidOperationException));
        Assert.Contains("stale", failure.GetErrorMessage(), StringComparison.Ordinal);

        static async Deferred<int> AwaitAsync(Deferred<int> d) => await d;
    }

    [Fact]
    public void StaleHandle_Callback_StillFiresTheChainWithItsInputType()
    {
        var (d, rest) = ChangedType();

        d.Callback(42);

        Assert.Equal("42", rest.Result);
    }

    [Fact]
    public void StaleHandle_Cancel_CancelsTheOneChain()
    {
        var (d, rest) = ChangedType();

        d.Cancel();

        DeferredAssert.FailureResultOf(rest, typeof(CancelledException));
    }

    [Fact]
    public void StaleHandle_Errback_FiresTheOneChain()
    {
        var (d, rest) = ChangedType();

        d.Errback(new IOException("down"));

        DeferredAssert.FailureResultOf(rest, typeof(IOException));
    }

    [Fact]
    public void View_Callback_IsRefused_TheChainStartsWithTheOriginalType()
    {
        var (d, rest) = ChangedType();

        var error = Assert.Throws<InvalidOperationException>(() => rest.Callback("not an int"));
        Assert.Contains("fire that one", error.Message, StringComparison.Ordinal);
        Assert.False(d.Called);
    }

    [Fact]
    public void SameTypeCallback_KeepsTheHandleUsable()
    {
        var d = new Deferred<int>();

        var same = d.AddCallback(x => x * 2).AddErrback(_ => -1).AddFinally(() => { });
        d.Callback(4);

        Assert.Same(d, same);
        Assert.Equal(8, d.Result);
    }

    [Fact]
    public void TheViewOfAView_StaysFreshWhileTheEarlierOnesGoStale()
    {
        var d = new Deferred<int>();
        var asText = d.AddCallback(x => $"#{x}");
        var length = asText.AddCallback(s => s.Length);

        d.Callback(123);

        Assert.Equal(4, length.Result);
        Assert.Throws<InvalidOperationException>(() => asText.Result);
        Assert.Throws<InvalidOperationException>(() => d.Result);
    }

    [Fact]
    public async Task AwaitedDeferred_TypedReadAfterwards_FailsInsteadOfDefault()
    {
        // Twisted leaves None in an awaited Deferred; a Deferred<int> must not read it back as 0.
        var d = Deferred.Succeed(7);
        Assert.Equal(7, await Awaiting(d).AsTask(TestContext.Current.CancellationToken));

        var error = Assert.Throws<InvalidOperationException>(() => d.Result);
        Assert.Contains("already consumed", error.Message, StringComparison.Ordinal);
        Assert.False(d.TryGetResult(out _));
        Assert.Null(d.CurrentResult); // untyped, it is Twisted's None

        static async Deferred<int> Awaiting(Deferred<int> d) => await d;
    }

    [Fact]
    public void RaceInputs_AreConsumed_TypedReadFailsClearly()
    {
        var a = new Deferred<string>();
        var b = new Deferred<string>();
        var race = Deferred.Race(a, b);
        a.Callback("first");

        Assert.Equal((0, "first"), race.Result);
        Assert.Throws<InvalidOperationException>(() => a.Result);
        Assert.Throws<InvalidOperationException>(() => b.Result); // cancelled, and that failure consumed by the race
    }

    [Fact]
    public void NullReturningLambda_OnObjectChain_IsTheValueNull()
    {
        // C# binds `x => null` with TNext = object? to the Deferred-returning overload (Deferred<object?> converts to
        // object?). Both overloads mean the same for object?, so null must be the value, not "a null Deferred".
        // The compiler flags it too (CS8603: a null for the non-nullable Deferred), so with warnings as errors it does
        // not build; without, it must still do what the user meant.
        var d = new Deferred<object?>();
#pragma warning disable CS8603
        var next = d.AddCallback<object?>(_ => null);
#pragma warning restore CS8603

        d.Callback("x");

        Assert.Null(next.Result);
        Assert.Null(next.CurrentFailure);
    }

    [Fact]
    public void AddCallbacks_ErrbackPassingTheFailureOn_KeepsTheSameFailure()
    {
        var d = new Deferred<int>();
        var logged = new List<Failure>();
        var rest = d.AddCallbacks(x => $"{x}", f =>
        {
            logged.Add(f);
            return f;
        });
        var failure = new Failure(new IOException("disk"));

        d.Errback(failure);

        Assert.Same(failure, Assert.Single(logged));
        Assert.Same(failure, DeferredAssert.FailureResultOf(rest, typeof(IOException)));
    }

    [Fact]
    public void DeferredList_OverDifferentTypes_CompilesAndCollectsBoxedValues()
    {
        var person = new Deferred<Person>();
        var visits = new Deferred<int>();

        var list = DeferredList.Create(person, visits);
        person.Callback(new Person("ada"));
        visits.Errback(new IOException());

        var items = list.Result;
        Assert.Equal(new Person("ada"), items[0].Value);
        Assert.False(items[1].Success);
        // The inputs keep their own typed results.
        Assert.Equal("ada", person.Result.Name);
        visits.ConsumeFailure();
    }

    [Fact]
    public void GatherResults_OverDifferentTypes_CompilesAndKeepsOrder()
    {
        var gathered = Deferred.GatherResults(Deferred.Succeed(new Person("ada")), Deferred.Succeed(3));

        Assert.Equal([new Person("ada"), 3], gathered.Result);
    }

    [Fact]
    public void GatherResults_SameTypeParams_StaysTyped()
    {
        Deferred<IReadOnlyList<int>> gathered = Deferred.GatherResults(Deferred.Succeed(1), Deferred.Succeed(2));

        Assert.Equal([1, 2], gathered.Result);
    }

    [Fact]
    public void Succeed_Null_CompilesAsAnUntypedNone()
    {
        Deferred<object?> d = Deferred.Succeed(null);

        Assert.Null(d.Result);
    }

    [Fact]
    public void ChainDeferred_HandsTheResultOver_AndTheRestIsUntypedNone()
    {
        var d = new Deferred<string>();
        var other = new Deferred<string>();

        Deferred<object?> rest = d.ChainDeferred(other);
        d.Callback("moved");

        Assert.Equal("moved", other.Result);
        Assert.Null(rest.Result);
        Assert.Throws<InvalidOperationException>(() => d.Result);
    }

    [Fact]
    public void Outcome_ValueOfAFailure_ThrowsInsteadOfDefault()
    {
        var outcome = Outcome<string>.FromFailure(new Failure(new IOException("gone")));

        var error = Assert.Throws<InvalidOperationException>(() => outcome.Value);
        Assert.IsType<IOException>(error.InnerException);
        Assert.False(outcome.TryGetValue(out _));
        Assert.True(Outcome<string>.FromValue("v").TryGetValue(out var value));
        Assert.Equal("v", value);
    }
}
