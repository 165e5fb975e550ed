namespace AsyncCore.Tests.Deferreds;

/// <summary>
/// Tests that change process-wide state (<see cref="AsyncCoreLogging.LoggerFactory"/>, <see cref="Deferred.Debug"/>) or
/// force garbage collections. xunit runs a collection with parallelization disabled on its own, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalStateCollection
{
    public const string Name = "Process-wide Deferred state";
}
