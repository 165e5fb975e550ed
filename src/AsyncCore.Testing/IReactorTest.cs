namespace AsyncCore.Testing;

/// <summary>
/// A test class with its own <see cref="TestJanitor"/> (the xunit adapters' <c>ReactorTestBase</c>): a test method run by
/// <see cref="ReactorTestRunner.RunTestAsync"/> reports to that janitor, which the class verifies when the test ends, so
/// that <see cref="TestJanitor.FlushLoggedErrors"/> works as in any other test of the class.
/// </summary>
public interface IReactorTest
{
    /// <summary>The janitor of the running test.</summary>
    TestJanitor Janitor { get; }

    /// <summary>The timeout of a test that sets none.</summary>
    TimeSpan Timeout { get; }

    /// <summary>Whether Deferreds' creation stacks are recorded on the reactor thread.</summary>
    bool DebugDeferreds { get; }
}
