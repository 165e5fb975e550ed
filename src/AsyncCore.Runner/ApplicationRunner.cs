using System.Runtime.InteropServices;
using AsyncCore.Application;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Transports;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Runner;

/// <summary>
/// <c>asynccore run</c>: loads the application, builds its tree, runs it on a reactor on this thread until SIGINT or
/// SIGTERM (the tree stops through the reactor's shutdown triggers, waited for), and returns the exit code.
/// </summary>
internal sealed class ApplicationRunner(RunOptions options)
{
    private int _signals;

    public int Run()
    {
        using var logs = LineLoggerProvider.Open(options.LogFile, options.JsonLogs, options.LogLevel);
        var logger = logs.CreateLogger("asynccore");
        AsyncCoreLogging.LoggerFactory = logs;
        PidFile? pidFile = null;
        try
        {
            if (options.PidFile is { } path)
            {
                try
                {
                    pidFile = PidFile.Acquire(path);
                }
                catch (PidFileInUseException e)
                {
                    return Error(e.Message, ExitCodes.Failure);
                }
                if (pidFile.Replaced is { } stale)
                {
                    logger.LogWarning("Replaced the stale pid file {PidFile} (it named {Pid})", path, stale);
                }
            }
            IApplicationFactory factory;
            try
            {
                factory = ApplicationLoader.Load(options.App);
            }
            catch (ApplicationLoadException e)
            {
                return Error(e.Message, ExitCodes.BadApplication);
            }
            var reactorOptions = new ReactorOptions { LoggerFactory = logs };
            NetworkReactorBase reactor;
            try
            {
                reactor = ReactorFactory.Create(options.Reactor, reactorOptions);
            }
            catch (InvalidOperationException e)
            {
                // ASYNCCORE_REACTOR names no reactor.
                return Error(e.Message, ExitCodes.Failure);
            }
            using var disposeReactor = reactor;
            IService root;
            try
            {
                root = factory.CreateApplication(new ApplicationContext(reactor, options.Arguments, logs));
            }
            catch (Exception e)
            {
                return Error($"{factory.GetType().FullName}.CreateApplication threw {e.GetType().Name}: {ApplicationLoader.OneLine(e.Message)}", ExitCodes.BadApplication);
            }
            var runner = root.AttachTo(reactor);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => OnSignal(context, reactor, logger, pidFile));
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => OnSignal(context, reactor, logger, pidFile));
            logger.LogInformation("Running {Application} from {App} on {Reactor} (pid {Pid})", root.ToString(), options.App, reactor.GetType().Name, Environment.ProcessId);
            reactor.Run();
            if (runner.StartFailure is { } startFailure)
            {
                return Error($"{root} failed to start: {startFailure.Type.Name}: {ApplicationLoader.OneLine(startFailure.GetErrorMessage())}", ExitCodes.Failure);
            }
            if (runner.StopFailure is { } stopFailure)
            {
                return Error($"{root} failed to stop cleanly: {ApplicationLoader.OneLine(stopFailure.GetErrorMessage())}", ExitCodes.Failure);
            }
            logger.LogInformation("Stopped {Application}", root.ToString());
            return ExitCodes.Success;
        }
        finally
        {
            pidFile?.Dispose();
        }
    }

    private void OnSignal(PosixSignalContext context, ReactorBase reactor, ILogger logger, PidFile? pidFile)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _signals) == 1)
        {
            logger.LogInformation("Received {Signal}: stopping", context.Signal);
            reactor.CallFromThread(() =>
            {
                if (reactor.Running && !reactor.Stopping)
                {
                    reactor.Stop();
                }
            });
            return;
        }
        logger.LogWarning("Received {Signal} again: exiting without waiting for the services to stop", context.Signal);
        pidFile?.Dispose();
        Environment.Exit(ExitCodes.Failure);
    }

    private static int Error(string message, int code)
    {
        Console.Error.WriteLine("asynccore: error: " + message);
        return code;
    }
}
