using System.Runtime.CompilerServices;

namespace AsyncCore.Tests.Deferreds;

/// <summary>Failure: wrapping, Check/Trap, re-raising with the original stack (Twisted's test_failure).</summary>
public class FailureTests
{
    [Fact]
    public void Constructor_NullException_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new Failure(null!));
    }

    [Fact]
    public void Value_AndType_DescribeTheWrappedException()
    {
        var error = new FileNotFoundException("missing.txt");
        var failure = new Failure(error);

        Assert.Same(error, failure.Value);
        Assert.Equal(typeof(FileNotFoundException), failure.Type);
        Assert.Equal("missing.txt", failure.GetErrorMessage());
    }

    [Fact]
    public void Check_MatchesByInheritance_ReturnsFirstMatchingType()
    {
        var failure = new Failure(new FileNotFoundException());

        Assert.Equal(typeof(IOException), failure.Check(typeof(ArgumentException), typeof(IOException), typeof(FileNotFoundException)));
        Assert.Null(failure.Check(typeof(ArgumentException), typeof(TimeoutException)));
        Assert.True(failure.Check<IOException>());
        Assert.False(failure.Check<ArgumentException>());
    }

    [Fact]
    public void Trap_Matching_ReturnsTheMatchingType()
    {
        var failure = new Failure(new FileNotFoundException());

        Assert.Equal(typeof(IOException), failure.Trap(typeof(TimeoutException), typeof(IOException)));
        Assert.IsType<FileNotFoundException>(failure.Trap<IOException>());
    }

    [Fact]
    public void Trap_NotMatching_RethrowsTheOriginalExceptionNotAWrapper()
    {
        var error = new TimeoutException("slow");
        var failure = new Failure(error);

        var thrown = Assert.Throws<TimeoutException>(() => failure.Trap(typeof(IOException)));

        Assert.Same(error, thrown);
        Assert.Same(error, Assert.Throws<TimeoutException>(() => failure.Trap<IOException>()));
    }

    [Fact]
    public void Trap_InErrbackNotMatching_SameExceptionKeepsPropagating()
    {
        var error = new TimeoutException();
        var d = new Deferred<int>();
        d.AddErrback(f =>
        {
            f.Trap<IOException>();
            return 1;
        });
        Failure? seen = null;
        d.AddErrback(f =>
        {
            seen = f;
            return 2;
        });

        d.Errback(error);

        Assert.Same(error, seen?.Value);
        Assert.Equal(2, DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void ThrowException_KeepsTheOriginalStackTrace()
    {
        Failure failure;
        try
        {
            ThrowFromHelper();
            return;
        }
        catch (InvalidOperationException ex)
        {
            failure = new Failure(ex);
        }

        var rethrown = Assert.Throws<InvalidOperationException>(failure.ThrowException);

        Assert.Same(failure.Value, rethrown);
        Assert.Contains(nameof(ThrowFromHelper), rethrown.StackTrace, StringComparison.Ordinal);
    }

    [Fact]
    public void Callback_ThrowingDeepInsideHelper_FailureKeepsThatStackAfterAwait()
    {
        var d = new Deferred<int>();
        d.AddCallback(int (_) =>
        {
            ThrowFromHelper();
            return 0;
        });
        d.Callback(0);

        var failure = DeferredAssert.FailureResultOf(d, typeof(InvalidOperationException));

        Assert.Contains(nameof(ThrowFromHelper), failure.GetTraceback(), StringComparison.Ordinal);
    }

    [Fact]
    public void GetTraceback_ContainsTypeMessageAndFrames()
    {
        Failure failure;
        try
        {
            ThrowFromHelper();
            return;
        }
        catch (InvalidOperationException ex)
        {
            failure = new Failure(ex);
        }

        var traceback = failure.GetTraceback();

        Assert.Contains("System.InvalidOperationException", traceback, StringComparison.Ordinal);
        Assert.Contains("thrown by the helper", traceback, StringComparison.Ordinal);
        Assert.Contains(nameof(ThrowFromHelper), traceback, StringComparison.Ordinal);
    }

    [Fact]
    public void GetTraceback_IncludesInnerExceptions()
    {
        var failure = new Failure(new InvalidOperationException("outer", new FormatException("inner cause")));

        Assert.Contains("inner cause", failure.GetTraceback(), StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_NamesTheExceptionTypeAndMessage()
    {
        var failure = new Failure(new IOException("eof"));

        Assert.Equal("[Failure instance: System.IO.IOException: eof]", failure.ToString());
    }

    [Fact]
    public void Errback_WithException_WrapsItAndKeepsTheInstance()
    {
        var d = new Deferred<int>();
        var error = new IOException();

        d.Errback(error);

        Assert.Same(error, DeferredAssert.FailureResultOf(d).Value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFromHelper() => throw new InvalidOperationException("thrown by the helper");
}
