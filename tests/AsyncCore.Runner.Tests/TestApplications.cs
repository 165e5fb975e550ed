using AsyncCore.Application;

namespace AsyncCore.Runner.Tests;

/// <summary>A factory whose constructor throws: the runner must report it in one line and exit 2.</summary>
public sealed class ThrowingFactory : IApplicationFactory
{
    /// <summary>Throws.</summary>
    public ThrowingFactory() => throw new InvalidOperationException("the factory is broken");

    /// <inheritdoc />
    public IService CreateApplication(ApplicationContext context) => throw new NotSupportedException();
}

/// <summary>An application whose start fails: the runner must print the failure and exit non-zero.</summary>
public sealed class FailingStartFactory : IApplicationFactory
{
    /// <inheritdoc />
    public IService CreateApplication(ApplicationContext context)
    {
        var root = new ApplicationService("failing");
        new FailingService().SetServiceParent(root);
        return root;
    }

    private sealed class FailingService : Service
    {
        public override void StartService() => throw new InvalidOperationException("cannot start the service");
    }
}

/// <summary>An application whose stop never finishes: only a second signal ends the runner.</summary>
public sealed class HangingStopFactory : IApplicationFactory
{
    /// <inheritdoc />
    public IService CreateApplication(ApplicationContext context)
    {
        var root = new ApplicationService("hanging");
        new HangingService().SetServiceParent(root);
        return root;
    }

    private sealed class HangingService : Service
    {
        public override Deferred? StopService()
        {
            _ = base.StopService();
            return new Deferred<object?>();
        }
    }
}
