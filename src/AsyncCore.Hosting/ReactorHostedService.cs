using AsyncCore.Application;
using AsyncCore.Reactor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Hosting;

/// <summary>
/// Runs the reactor on its own thread while the host runs: the tree starts with the reactor (a "before startup"
/// trigger) and stops when the reactor stops (a "before shutdown" trigger, waited for).
/// </summary>
internal sealed class ReactorHostedService(AsyncCoreRuntime runtime, IServiceProvider provider, ILogger<ReactorHostedService> logger)
    : IHostedService
{
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _thread;
    private ServiceRunner? _runner;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var root = runtime.Root;
        foreach (var registration in provider.GetServices<AsyncCoreServiceRegistration>())
        {
            registration.Create(provider).SetServiceParent(root);
        }
        var reactor = runtime.Reactor;
        _runner = root.AttachTo(reactor);
        // Asked for before the reactor runs: nothing else touches the runner from another thread.
        var started = _runner.WhenStarted().AsTask(CancellationToken.None);
        _thread = new Thread(Run) { Name = runtime.Options.Reactor.Name, IsBackground = true };
        _thread.Start();
        try
        {
            await started.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The reactor stops itself after a failed start; wait for it so the host fails cleanly.
            await _ended.Task.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        logger.LogInformation("AsyncCore reactor '{Reactor}' running {Application}", reactor.Name, root.ToString());
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_thread is null)
        {
            return;
        }
        var reactor = runtime.Reactor;
        reactor.CallFromThread(() =>
        {
            if (reactor.Running && !reactor.Stopping)
            {
                reactor.Stop();
            }
        });
        try
        {
            await _ended.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("The AsyncCore service tree did not stop within the host's shutdown timeout");
            return;
        }
        if (_runner?.StopFailure is { } failure)
        {
            logger.LogError(failure.Value, "The AsyncCore service tree failed to stop cleanly");
        }
    }

    private void Run()
    {
        try
        {
            runtime.Reactor.Run();
            _ended.TrySetResult();
        }
        catch (Exception e)
        {
            logger.LogCritical(e, "The AsyncCore reactor failed");
            _ended.TrySetException(e);
        }
    }
}
