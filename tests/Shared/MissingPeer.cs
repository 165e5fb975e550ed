using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace AsyncCore.Tests.Shared;

/// <summary>
/// A test that needs a real server, peer or tool that is not there: outside CI it skips with the reason; under CI
/// (<c>CI=true</c>) it fails, because a green CI must never hide integration tests that did not run.
/// Linked from tests/Shared into the test projects that talk to real peers.
/// </summary>
internal static class MissingPeer
{
    [DoesNotReturn]
    public static void SkipOrFail(string reason)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(reason + " CI must run this test.");
        }
        Assert.Skip(reason);
        throw new UnreachableException();
    }
}
