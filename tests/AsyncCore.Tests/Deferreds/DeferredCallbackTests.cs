namespace AsyncCore.Tests.Deferreds;

/// <summary>Firing and the callback/errback paths (Twisted's DeferredTests basics and AlreadyCalledTests).</summary>
public class DeferredCallbackTests
{
    [Fact]
    public void Callback_WithCallbacksAdded_RunsThemBeforeReturning()
    {
        var d = new Deferred<int>();
        var seen = new List<int>();
        d.AddCallback(x => x * 2).AddCallback(x => seen.Add(x));
        Assert.Empty(seen);

        d.Callback(21);

        Assert.Equal([42], seen);
        Assert.True(d.Called);
    }

    [Fact]
    public void AddCallback_OnFiredDeferred_RunsImmediately()
    {
        var d = Deferred.Succeed("x");
        var seen = new List<string>();

        d.AddCallback(s => seen.Add(s));

        Assert.Equal(["x"], seen);
    }

    [Fact]
    public void AddCallback_ChangingResultType_ReturnsViewOfTheSameChain()
    {
        var cancelled = 0;
        var d = new Deferred<int>(_ => cancelled++);
        Deferred<string> text = d.AddCallback(x => $"#{x}");
        Deferred<int> length = text.AddCallback(s => s.Length);

        Assert.False(length.Called);
        length.Cancel();

        // Cancelling the last view runs the canceller of the Deferred that owns the chain.
        Assert.Equal(1, cancelled);
        Assert.True(d.Called);
        Assert.True(text.Called);
        DeferredAssert.FailureResultOf(length, typeof(CancelledException));
    }

    [Fact]
    public void AddCallback_ChangingResultTypeTwice_LaterCallbacksSeeLastType()
    {
        var d = new Deferred<int>();
        var result = d.AddCallback(x => x + 1).AddCallback(x => new string('a', x)).AddCallback(s => s.ToUpperInvariant());

        d.Callback(2);

        Assert.Equal("AAA", DeferredAssert.SuccessResultOf(result));
        Assert.Equal("AAA", d.CurrentResult);
    }

    [Fact]
    public void AddCallback_CallbackThrows_SkipsLaterCallbacksAndErrbackGetsSameException()
    {
        var d = new Deferred<int>();
        var error = new InvalidOperationException("boom");
        var laterCallbackRan = false;
        Failure? seen = null;
        d.AddCallback(int (_) => throw error)
            .AddCallback(_ => { laterCallbackRan = true; })
            .AddErrback(f =>
            {
                seen = f;
                return -1;
            });

        d.Callback(1);

        Assert.False(laterCallbackRan);
        Assert.Same(error, seen!.Value);
        Assert.Equal(-1, DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void AddErrback_ReturningValue_SwitchesBackToCallbackPath()
    {
        var d = new Deferred<string>();
        var seen = new List<string>();
        d.AddErrback(f => "recovered from " + f.GetErrorMessage()).AddCallback(s => seen.Add(s));

        d.Errback(new IOException("disk"));

        Assert.Equal(["recovered from disk"], seen);
    }

    [Fact]
    public void AddErrback_ReturningFailure_StaysOnErrorPath()
    {
        var d = new Deferred<int>();
        var replacement = new Failure(new ArgumentException("replaced"));
        var callbackRan = false;
        var rest = d.AddErrback(Failure (_) => replacement).AddCallback(_ => callbackRan = true);

        d.Errback(new IOException());

        Assert.False(callbackRan);
        Assert.Same(replacement, DeferredAssert.FailureResultOf(rest, typeof(ArgumentException)));
    }

    [Fact]
    public void AddErrback_Throwing_StaysOnErrorPathWithNewException()
    {
        var d = new Deferred<int>();
        var second = new FormatException("second");
        d.AddErrback(int (_) => throw second);

        d.Errback(new IOException("first"));

        Assert.Same(second, DeferredAssert.FailureResultOf(d).Value);
    }

    [Fact]
    public void AddErrback_ActionHandler_ContinuesWithNullNotDefault()
    {
        // Twisted: an errback returning None puts None on the success path. A Deferred<int> must not show it as 0.
        var d = new Deferred<int>();
        var handled = new List<string>();
        Deferred<int?> rest = d.AddErrback(f => handled.Add(f.Type.Name));

        d.Errback(new IOException());

        Assert.Equal(["IOException"], handled);
        Assert.Null(DeferredAssert.SuccessResultOf(rest));
    }

    [Fact]
    public void AddErrback_ActionHandler_OnReferenceType_ContinuesAsNullable()
    {
        var d = new Deferred<string>();
        Deferred<string?> rest = d.AddErrback(_ => { });

        d.Errback(new IOException());

        Assert.Null(DeferredAssert.SuccessResultOf(rest));
        // The non-nullable handle must not hand out that null.
        Assert.Throws<InvalidOperationException>(() => d.Result);
    }

    [Fact]
    public void AddErrback_ActionHandler_OnSuccess_PassesTheValue()
    {
        var d = new Deferred<int>();
        var rest = d.AddErrback(_ => { });

        d.Callback(7);

        Assert.Equal(7, DeferredAssert.SuccessResultOf(rest));
    }

    [Fact]
    public void AddErrback_OnSuccess_IsSkipped()
    {
        var d = new Deferred<int>();
        var errbackRan = false;
        d.AddErrback(_ =>
        {
            errbackRan = true;
            return 0;
        });

        d.Callback(7);

        Assert.False(errbackRan);
        Assert.Equal(7, DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void AddCallbacks_CallbackThrows_ItsOwnErrbackDoesNotSeeIt()
    {
        var d = new Deferred<int>();
        var errbackRan = false;
        d.AddCallbacks(int (_) => throw new InvalidOperationException("from callback"), _ =>
        {
            errbackRan = true;
            return 0;
        });

        d.Callback(1);

        Assert.False(errbackRan);
        DeferredAssert.FailureResultOf(d, typeof(InvalidOperationException));
    }

    [Fact]
    public void AddCallbacks_OnFailure_RunsOnlyTheErrback()
    {
        var d = new Deferred<int>();
        var calls = new List<string>();
        var next = d.AddCallbacks(
            x =>
            {
                calls.Add("callback");
                return x.ToString(System.Globalization.CultureInfo.InvariantCulture);
            },
            f =>
            {
                calls.Add("errback");
                return f.GetErrorMessage();
            });

        d.Errback(new IOException("eof"));

        Assert.Equal(["errback"], calls);
        Assert.Equal("eof", DeferredAssert.SuccessResultOf(next));
    }

    [Fact]
    public void AddBoth_ReceivesValueOrFailure()
    {
        var ok = new Deferred<int>();
        var bad = new Deferred<int>();
        var okText = ok.AddBoth(o => o.Succeeded ? $"value {o.Value}" : "failed");
        var badText = bad.AddBoth(o => o.Succeeded ? $"value {o.Value}" : $"failed {o.Failure!.Type.Name}");

        ok.Callback(3);
        bad.Errback(new TimeoutException());

        Assert.Equal("value 3", DeferredAssert.SuccessResultOf(okText));
        Assert.Equal("failed TimeoutException", DeferredAssert.SuccessResultOf(badText));
    }

    [Fact]
    public void AddFinally_OnBothPaths_RunsAndKeepsTheResult()
    {
        var runs = 0;
        var ok = new Deferred<int>();
        var bad = new Deferred<int>();
        var failure = new Failure(new IOException());
        ok.AddFinally(() => runs++);
        bad.AddFinally(() => runs++);

        ok.Callback(5);
        bad.Errback(failure);

        Assert.Equal(2, runs);
        Assert.Equal(5, DeferredAssert.SuccessResultOf(ok));
        Assert.Same(failure, DeferredAssert.FailureResultOf(bad));
    }

    [Fact]
    public void AddCallback_TapAction_PassesValueOnUnchanged()
    {
        var d = new Deferred<int>();
        var tapped = 0;
        d.AddCallback(x => { tapped = x; }).AddCallback(x => x + 1);

        d.Callback(10);

        Assert.Equal(10, tapped);
        Assert.Equal(11, DeferredAssert.SuccessResultOf(d));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Fire_Twice_ThrowsAlreadyCalledSynchronously(bool firstIsCallback, bool secondIsCallback)
    {
        var d = new Deferred<int>();
        d.AddErrback(_ => 0);
        Fire(d, firstIsCallback);

        Assert.Throws<AlreadyCalledException>(() => Fire(d, secondIsCallback));

        static void Fire(Deferred<int> d, bool callback)
        {
            if (callback)
            {
                d.Callback(1);
            }
            else
            {
                d.Errback(new IOException());
            }
        }
    }

    [Fact]
    public void Callback_SecondFireThrows_FirstResultIsKept()
    {
        var d = new Deferred<int>();
        d.Callback(1);

        Assert.Throws<AlreadyCalledException>(() => d.Callback(2));

        Assert.Equal(1, d.Result);
    }

    [Fact]
    public void Callback_WithFailureObject_TakesTheErrorPath()
    {
        var d = new Deferred<object>();
        var failure = new Failure(new IOException());
        var callbackRan = false;
        var rest = d.AddCallback(_ => callbackRan = true);

        d.Callback(failure);

        Assert.False(callbackRan);
        Assert.Same(failure, DeferredAssert.FailureResultOf(rest));
    }

    [Fact]
    public void Callback_WithDeferredAsValue_ThrowsArgumentException()
    {
        var d = new Deferred<object>();

        Assert.Throws<ArgumentException>(() => d.Callback(new Deferred<int>()));
        Assert.False(d.Called);
    }

    [Fact]
    public void AddCallback_DuringRunningChain_IsAppendedAndRunsAfterCurrentCallback()
    {
        var d = new Deferred<int>();
        var calls = new List<string>();
        d.AddCallback(_ =>
        {
            calls.Add("1");
            d.AddCallback(_ => calls.Add("3"));
            // Never nested: the callback added above has not run yet.
            calls.Add("1 done");
        });
        d.AddCallback(_ => calls.Add("2"));

        d.Callback(0);

        Assert.Equal(["1", "1 done", "2", "3"], calls);
    }

    [Fact]
    public void AddCallback_DuringRunningChain_ThrowingAddedCallbackReachesErrbackAddedLater()
    {
        var d = new Deferred<int>();
        Failure? seen = null;
        d.AddCallback(_ =>
        {
            d.AddCallback(int (_) => throw new KeyNotFoundException("added while running"));
            d.AddErrback(f =>
            {
                seen = f;
                return 5;
            });
        });

        d.Callback(0);

        Assert.IsType<KeyNotFoundException>(seen?.Value);
        Assert.Equal(5, DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void Result_AfterFiring_IsReachableAndCanBeReadTwice()
    {
        var d = new Deferred<string>();
        d.Callback("done");

        Assert.True(d.HasResult);
        Assert.Equal("done", d.Result);
        Assert.Equal("done", d.Result);
        Assert.True(d.TryGetResult(out var value));
        Assert.Equal("done", value);
    }

    [Fact]
    public void Result_BeforeFiring_ThrowsInvalidOperation()
    {
        var d = new Deferred<string>();

        Assert.False(d.HasResult);
        Assert.False(d.TryGetResult(out _));
        Assert.Throws<InvalidOperationException>(() => d.Result);
    }

    [Fact]
    public void Result_OfFailedDeferred_ThrowsTheOriginalException()
    {
        var error = new IOException("gone");
        var d = Deferred.Fail<int>(error);

        Assert.False(d.TryGetResult(out _));
        var thrown = Assert.Throws<IOException>(() => d.Result);
        Assert.Same(error, thrown);
    }

    [Fact]
    public void Succeed_IsInTheSameStateAsManualCallback()
    {
        var manual = new Deferred<int>();
        manual.Callback(3);
        var succeeded = Deferred.Succeed(3);

        Assert.Equal(manual.Called, succeeded.Called);
        Assert.Equal(manual.HasResult, succeeded.HasResult);
        Assert.Equal(manual.CurrentResult, succeeded.CurrentResult);
        Assert.Throws<AlreadyCalledException>(() => succeeded.Callback(4));
    }

    [Fact]
    public void Fail_WithException_WrapsItInFailure()
    {
        var error = new ArgumentException("bad");
        var d = Deferred.Fail<int>(error);

        var failure = d.CurrentFailure;
        Assert.NotNull(failure);
        Assert.Same(error, failure.Value);
        Assert.Same(failure, DeferredAssert.FailureResultOf(d, typeof(ArgumentException)));
    }

    [Fact]
    public void AddCallbacks_Untyped_ReturnedFailureSwitchesToErrorPathAndValueBack()
    {
        var d = new Deferred<int>();
        var failure = new Failure(new IOException());
        var path = new List<string>();
        d.AddCallbacks((object? _) => failure, null)
            .AddCallbacks(
                (object? _) =>
                {
                    path.Add("callback");
                    return null;
                },
                f =>
                {
                    path.Add("errback " + ReferenceEquals(f, failure));
                    return (object?)9;
                })
            .AddCallbacks(
                (object? v) =>
                {
                    path.Add("callback " + v);
                    return v;
                },
                null);

        d.Callback(1);

        Assert.Equal(["errback True", "callback 9"], path);
    }

    [Fact]
    public void AddCallback_ReturningFailureAsValue_TakesTheErrorPath()
    {
        // Twisted: a callback that returns a Failure moves the chain to the error path, whatever the declared type.
        var d = new Deferred<int>();
        var failure = new Failure(new IOException());
        var callbackRan = false;
        var next = d.AddCallback(object (_) => failure);
        next.AddCallback(_ => { callbackRan = true; });

        d.Callback(1);

        Assert.False(callbackRan);
        Assert.Same(failure, DeferredAssert.FailureResultOf(next));
    }
}
