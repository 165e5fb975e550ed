using System.CommandLine;
using AsyncCore.Reactors;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Runner;

/// <summary>The command line: <c>asynccore run --app MyApp.dll[:Type] [options] [-- application arguments]</c>.</summary>
internal static class RunnerCommand
{
    public static RootCommand Create()
    {
        var app = new Option<string>("--app")
        {
            Description = "The application: an assembly path, optionally followed by ':' and the full name of a type implementing IApplicationFactory.",
            Required = true,
        };
        var reactor = new Option<string>("--reactor")
        {
            Description = "The reactor: 'default' (EpollReactor on Linux, EventLoopReactor elsewhere, or the one the ASYNCCORE_REACTOR "
                + "environment variable names), 'epoll' (EpollReactor, Linux) or 'eventloop' (EventLoopReactor, any OS).",
            DefaultValueFactory = _ => "default",
        };
        reactor.AcceptOnlyFromAmong("default", "epoll", "eventloop");
        var pidFile = new Option<string?>("--pidfile") { Description = "Write the process id to this file; refuse to start if a live process holds it." };
        var logFile = new Option<string?>("--logfile") { Description = "Append logs to this file ('-' or nothing: standard output)." };
        var logLevel = new Option<LogLevel>("--loglevel")
        {
            Description = "The lowest level logged (Trace, Debug, Information, Warning, Error, Critical).",
            DefaultValueFactory = _ => LogLevel.Information,
        };
        var jsonLogs = new Option<bool>("--json-logs") { Description = "Write each log entry as one JSON object per line." };
        var arguments = new Argument<string[]>("arguments")
        {
            Description = "Arguments given to the application (after --).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var run = new Command("run", "Runs an application until SIGINT or SIGTERM.")
        {
            app, reactor, pidFile, logFile, logLevel, jsonLogs, arguments,
        };
        run.SetAction(result => new ApplicationRunner(new RunOptions(
            result.GetValue(app)!,
            ParseReactor(result.GetValue(reactor)),
            result.GetValue(pidFile),
            result.GetValue(logFile),
            result.GetValue(logLevel),
            result.GetValue(jsonLogs),
            result.GetValue(arguments) ?? [])).Run());
        return new RootCommand("asynccore: runs AsyncCore applications (the counterpart of Twisted's twistd).") { run };
    }

    // The option accepts only the names ReactorFactory reads.
    private static ReactorKind ParseReactor(string? name) => ReactorFactory.TryParse(name, out var kind) ? kind : ReactorKind.Default;
}

/// <summary>The options of <c>asynccore run</c>.</summary>
internal sealed record RunOptions(
    string App, ReactorKind Reactor, string? PidFile, string? LogFile, LogLevel LogLevel, bool JsonLogs, IReadOnlyList<string> Arguments);
