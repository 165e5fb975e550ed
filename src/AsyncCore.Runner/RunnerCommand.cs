using System.CommandLine;
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
            Description = "The reactor: 'default' (EventLoopReactor, any OS) or 'epoll' (EpollReactor, Linux).",
            DefaultValueFactory = _ => "default",
        };
        reactor.AcceptOnlyFromAmong("default", "epoll");
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
            result.GetValue(reactor) ?? "default",
            result.GetValue(pidFile),
            result.GetValue(logFile),
            result.GetValue(logLevel),
            result.GetValue(jsonLogs),
            result.GetValue(arguments) ?? [])).Run());
        return new RootCommand("asynccore: runs AsyncCore applications (the counterpart of Twisted's twistd).") { run };
    }
}

/// <summary>The options of <c>asynccore run</c>.</summary>
internal sealed record RunOptions(
    string App, string Reactor, string? PidFile, string? LogFile, LogLevel LogLevel, bool JsonLogs, IReadOnlyList<string> Arguments);
