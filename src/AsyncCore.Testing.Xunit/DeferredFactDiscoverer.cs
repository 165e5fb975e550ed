using Xunit.Sdk;
using Xunit.v3;

namespace AsyncCore.Testing;

/// <summary>Discovers <see cref="DeferredFactAttribute"/> tests: each becomes a <see cref="DeferredTestCase"/>.</summary>
public sealed class DeferredFactDiscoverer : FactDiscoverer
{
    /// <inheritdoc />
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, IXunitTestMethod testMethod, IFactAttribute factAttribute)
    {
        ArgumentNullException.ThrowIfNull(discoveryOptions);
        ArgumentNullException.ThrowIfNull(testMethod);
        ArgumentNullException.ThrowIfNull(factAttribute);
        var details = TestIntrospectionHelper.GetTestCaseDetails(discoveryOptions, testMethod, factAttribute);
        // xunit's own timeout is left off (0): it would end the test without saying what was pending; the reactor
        // runner applies the attribute's Timeout instead.
        return new DeferredTestCase(
            details.ResolvedTestMethod,
            details.TestCaseDisplayName,
            details.UniqueID,
            details.Explicit,
            ReactorTimeout(factAttribute),
            details.SkipExceptions,
            details.SkipReason,
            details.SkipType,
            details.SkipUnless,
            details.SkipWhen,
            testMethod.Traits.ToDictionary(t => t.Key, t => new HashSet<string>(t.Value, StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase),
            sourceFilePath: details.SourceFilePath,
            sourceLineNumber: details.SourceLineNumber);
    }

    private static int ReactorTimeout(IFactAttribute attribute) =>
        attribute is DeferredFactAttribute { TimeoutSeconds: > 0 } deferred
            ? (int)Math.Min(int.MaxValue, Math.Ceiling(deferred.TimeoutSeconds * 1000))
            : attribute.Timeout;
}
