using Xunit;

namespace AsyncCore.Testing;

/// <summary>
/// A base class for xunit v3 test classes of code built on AsyncCore (Twisted trial's <c>TestCase</c>): each test gets a
/// <see cref="TestJanitor"/>, and fails at its end if it left an unhandled Failure, a pending delayed call on
/// <see cref="ReactorTestCase.Clock"/> or <see cref="ReactorTestCase.MemoryReactor"/>, a port or a connection behind. Tests that need real I/O run on a
/// real reactor: mark them <see cref="DeferredFactAttribute"/> (the method may return a Deferred and reads
/// <see cref="ReactorTestCase.Reactor"/>), or wrap their body in <see cref="ReactorTestCase.RunOnReactor{T}"/>.
/// </summary>
/// <example>
/// <code>
/// public sealed class EchoTests : ReactorTestBase
/// {
///     [Fact]
///     public void Echo_WritesBack()
///     {
///         var transport = new StringTransport();
///         var echo = new Echo();
///         echo.MakeConnection(transport);
///         echo.DataReceived("hi"u8);
///         Assert.Equal("hi"u8.ToArray(), transport.Value());
///     }
/// }
/// </code>
/// </example>
public abstract class ReactorTestBase : ReactorTestCase, IAsyncLifetime
{
    /// <summary>Starts the test's janitor (the test's name comes from xunit's <see cref="TestContext"/>).</summary>
    /// <param name="debugDeferreds">Record Deferreds' creation stacks, shown in the reports (costly).</param>
    protected ReactorTestBase(bool debugDeferreds = false)
        : base(TestContext.Current.Test?.TestDisplayName, debugDeferreds)
    {
    }

    /// <inheritdoc />
    protected override CancellationToken TestCancellation => TestContext.Current.CancellationToken;

    /// <summary>Nothing to do: the janitor starts in the constructor, so that it covers the test's whole flow.</summary>
    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <summary>Checks what the test left behind and fails the test with the list (<see cref="TestJanitor.Verify"/>).</summary>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        VerifyAndDispose();
        return ValueTask.CompletedTask;
    }
}
