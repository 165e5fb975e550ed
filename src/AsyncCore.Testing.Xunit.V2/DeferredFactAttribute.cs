using Xunit;
using Xunit.Sdk;

namespace AsyncCore.Testing;

/// <summary>
/// Marks a test method that runs on a real reactor thread and may return a <see cref="Deferred{T}"/> (or be an
/// <c>async Deferred</c> method), as Twisted's trial runs a test returning a Deferred. xunit v2 only awaits a Task; a
/// plain <c>[Fact]</c> returning a Deferred would pass before the Deferred fired.
/// </summary>
/// <remarks>
/// <para>
/// Each test gets a new <c>EventLoopReactor</c> on a thread of its own (read it from <see cref="ReactorTestCase.Reactor"/>
/// or <see cref="ReactorTestRunner.CurrentReactor"/>). The test fails when its Deferred fails (with the failure's
/// exception and traceback), when it does not fire within <see cref="TimeoutSeconds"/> (then the message lists the
/// test's Deferred and every delayed call, port and connection still pending), or when it leaves the reactor dirty.
/// Without <see cref="TimeoutSeconds"/>, the class's <see cref="ReactorTestCase.Timeout"/> applies (two minutes);
/// xunit's own <see cref="FactAttribute.Timeout"/> (milliseconds) is honoured the same way when set.
/// </para>
/// <para>
/// In a <see cref="ReactorTestBase"/> class, the class's janitor collects the problems, so <c>FlushLoggedErrors</c>
/// works as in any test; in another class, a janitor of the test's own checks the reactor when the test ends.
/// </para>
/// </remarks>
[XunitTestCaseDiscoverer("AsyncCore.Testing.DeferredFactDiscoverer", "AsyncCore.Testing.Xunit.V2")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class DeferredFactAttribute : FactAttribute
{
    /// <summary>How long the test's Deferred may take, in seconds (0: the class's timeout, or two minutes).</summary>
    public double TimeoutSeconds { get; set; }
}
