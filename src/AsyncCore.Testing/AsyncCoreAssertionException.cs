namespace AsyncCore.Testing;

/// <summary>
/// Thrown by <see cref="DeferredAssert"/> and by the end-of-test checks of <see cref="TestJanitor"/>: a test expectation
/// about Deferreds or the reactor was not met. Test frameworks report it as an assertion failure.
/// </summary>
public sealed class AsyncCoreAssertionException : Exception, IAssertionException
{
    /// <summary>Creates the exception with a default message.</summary>
    public AsyncCoreAssertionException() : base("An AsyncCore test assertion failed.") { }

    /// <summary>Creates the exception with a message.</summary>
    public AsyncCoreAssertionException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public AsyncCoreAssertionException(string message, Exception innerException) : base(message, innerException) { }
}
