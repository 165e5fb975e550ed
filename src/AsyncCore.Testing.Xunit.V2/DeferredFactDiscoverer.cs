using Xunit.Abstractions;
using Xunit.Sdk;

namespace AsyncCore.Testing;

/// <summary>Discovers <see cref="DeferredFactAttribute"/> tests: each becomes a <see cref="DeferredTestCase"/>.</summary>
/// <param name="diagnosticMessageSink">xunit's diagnostic sink.</param>
public sealed class DeferredFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        ArgumentNullException.ThrowIfNull(discoveryOptions);
        return new DeferredTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
    }
}
