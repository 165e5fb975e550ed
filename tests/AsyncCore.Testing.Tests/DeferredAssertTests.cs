namespace AsyncCore.Testing.Tests;

public class DeferredAssertTests
{
    [Fact]
    public void SuccessResultOf_Succeeded_ReturnsValueAndKeepsIt()
    {
        var d = Deferred.Succeed(42);
        Assert.Equal(42, DeferredAssert.SuccessResultOf(d));
        int? later = null;
        d.AddCallback(v => later = v);
        Assert.Equal(42, later);
    }

    [Fact]
    public void SuccessResultOf_NoResult_SaysSo()
    {
        var e = Assert.Throws<AsyncCoreAssertionException>(() => DeferredAssert.SuccessResultOf(new Deferred<int>()));
        Assert.Contains("Success result expected", e.Message, StringComparison.Ordinal);
        Assert.Contains("found no result instead", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SuccessResultOf_Failed_ShowsTheTraceback()
    {
        var d = Deferred.Fail<int>(new InvalidOperationException("boom-marker"));
        var e = Assert.Throws<AsyncCoreAssertionException>(() => DeferredAssert.SuccessResultOf(d));
        Assert.Contains("found failure result instead", e.Message, StringComparison.Ordinal);
        Assert.Contains("InvalidOperationException", e.Message, StringComparison.Ordinal);
        Assert.Contains("boom-marker", e.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(e.InnerException);
        d.ConsumeFailure();
    }

    [Fact]
    public void FailureResultOf_ExpectedType_ReturnsFailureAndConsumesIt()
    {
        var tracker = new UnhandledFailureTracker("test");
        using (tracker.Install())
        {
            var d = Deferred.Fail<int>(new ArgumentException("bad"));
            var failure = DeferredAssert.FailureResultOf(d, typeof(InvalidOperationException), typeof(ArgumentException));
            Assert.IsType<ArgumentException>(failure.Value);
        }
        Assert.Empty(tracker.TakePending());
    }

    [Fact]
    public void FailureResultOf_AnyType_WhenNoneGiven()
    {
        var d = Deferred.Fail<string>(new TimeoutException());
        Assert.IsType<TimeoutException>(DeferredAssert.FailureResultOf(d).Value);
    }

    [Fact]
    public void FailureResultOf_WrongType_NamesBothAndShowsTheTraceback()
    {
        var d = Deferred.Fail<int>(new TimeoutException("late-marker"));
        var e = Assert.Throws<AsyncCoreAssertionException>(() => DeferredAssert.FailureResultOf(d, typeof(ArgumentException)));
        Assert.Contains("Failure of type (System.ArgumentException) expected", e.Message, StringComparison.Ordinal);
        Assert.Contains("found type System.TimeoutException instead", e.Message, StringComparison.Ordinal);
        Assert.Contains("late-marker", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FailureResultOf_Succeeded_ShowsTheValue()
    {
        var e = Assert.Throws<AsyncCoreAssertionException>(() => DeferredAssert.FailureResultOf(Deferred.Succeed("text"), typeof(Exception)));
        Assert.Contains("Failure result expected", e.Message, StringComparison.Ordinal);
        Assert.Contains("found success result (\"text\") instead", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FailureResultOf_NoResult_SaysSo()
    {
        var e = Assert.Throws<AsyncCoreAssertionException>(() => DeferredAssert.FailureResultOf(new Deferred<int>()));
        Assert.Contains("found no result instead", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AssertNoResult_Unfired_PassesAndLeavesTheDeferredAlone()
    {
        var d = new Deferred<int>();
        DeferredAssert.AssertNoResult(d);
        d.Callback(7);
        Assert.Equal(7, DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void AssertNoResult_Succeeded_ShowsTheValue()
    {
        var e = Assert.Throws<AsyncCoreAssertionException>(() => DeferredAssert.AssertNoResult(Deferred.Succeed(5)));
        Assert.Contains("No result expected", e.Message, StringComparison.Ordinal);
        Assert.Contains("found success result (5) instead", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AssertNoResult_Failed_ShowsTheTracebackAndConsumesIt()
    {
        var tracker = new UnhandledFailureTracker("test");
        using (tracker.Install())
        {
            var d = Deferred.Fail<int>(new InvalidOperationException("nr-marker"));
            var e = Assert.Throws<AsyncCoreAssertionException>(() => DeferredAssert.AssertNoResult(d));
            Assert.Contains("found failure result instead", e.Message, StringComparison.Ordinal);
            Assert.Contains("nr-marker", e.Message, StringComparison.Ordinal);
        }
        Assert.Empty(tracker.TakePending());
    }

    [Fact]
    public void AssertionException_IsReportedByXunitAsAnAssertionFailure()
    {
        // xunit recognises assertion failures by an interface named IAssertionException.
        Assert.Contains(typeof(AsyncCoreAssertionException).GetInterfaces(), i => i.Name == "IAssertionException");
    }
}
