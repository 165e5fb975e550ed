// Types for LayeringTests.Graph_SeesReferencesMadeOnlyInMethodBodies: High and Middle use Low only inside method
// bodies (a constructor call, a static field read in a closure), so only an IL reader sees those dependencies.
namespace AsyncCore.Tests.Architecture.Samples.Low
{
    internal sealed class Target
    {
        public static int Count = 1;
    }
}

namespace AsyncCore.Tests.Architecture.Samples.Middle
{
    internal static class ClosureUser
    {
        public static Func<int> Read() => () => AsyncCore.Tests.Architecture.Samples.Low.Target.Count;
    }
}

namespace AsyncCore.Tests.Architecture.Samples.High
{
    internal static class Creator
    {
        public static object Make() => new AsyncCore.Tests.Architecture.Samples.Low.Target();
    }
}
