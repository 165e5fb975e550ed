using Microsoft.Extensions.Logging;

namespace AsyncCore;

/// <summary>
/// Where AsyncCore logs. On a thread where an <see cref="UnhandledFailureTracker"/> is installed (a reactor's thread
/// while it runs, with <c>ReactorOptions.LoggerFactory</c>), to that tracker's factory; everywhere else, to the
/// process-wide <see cref="LoggerFactory"/>.
/// </summary>
/// <remarks>
/// The process-wide default is a small standard-error logger (warnings and above), so that unhandled errors are never
/// lost when nothing is configured. An application that gives a factory gets everything there and nothing on standard
/// error; silence is a choice made explicitly, with <c>NullLoggerFactory.Instance</c>. For example in <c>Program.cs</c>:
/// <code>AsyncCoreLogging.LoggerFactory = app.Services.GetRequiredService&lt;ILoggerFactory&gt;();</code>
/// </remarks>
public static class AsyncCoreLogging
{
    internal const string DeferredCategory = "AsyncCore.Deferred";

    // Process-wide by necessity: code running outside any reactor or tracker (worker threads, the finalizer thread,
    // code that uses Deferreds without a reactor) has no other owner to ask where to log.
    private static volatile ILoggerFactory s_factory = new StandardErrorLoggerFactory();

    private static readonly ILogger s_deferred = new RoutingLogger(DeferredCategory, ambient: true);

    /// <summary>
    /// The process-wide factory: used wherever no <see cref="UnhandledFailureTracker"/> with its own factory is installed.
    /// Loggers already made follow a change. Default: standard error, warnings and above.
    /// </summary>
    public static ILoggerFactory LoggerFactory
    {
        get => s_factory;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            s_factory = value;
        }
    }

    /// <summary>
    /// The factory AsyncCore logs to on the calling thread now: the installed tracker's, else <see cref="LoggerFactory"/>.
    /// </summary>
    internal static ILoggerFactory CurrentLoggerFactory => UnhandledFailureTracker.Current?.LoggerFactory ?? s_factory;

    /// <summary>
    /// Creates a logger for <paramref name="category"/> that writes, at each call, to the factory of the calling thread:
    /// its installed tracker's, else <see cref="LoggerFactory"/> (so a logger kept in a static field follows the reactor
    /// it runs on, and a later change of the default).
    /// </summary>
    public static ILogger CreateLogger(string category)
    {
        ArgumentNullException.ThrowIfNull(category);
        return new RoutingLogger(category, ambient: true);
    }

    /// <summary>
    /// Creates a logger for <paramref name="category"/> that writes, at each call, to <see cref="LoggerFactory"/> only,
    /// whatever tracker the calling thread has. A logger factory that passes entries on to the process-wide one uses it:
    /// installed as a tracker's or a reactor's factory, it would otherwise be handed its own entries back.
    /// </summary>
    public static ILogger CreateProcessWideLogger(string category)
    {
        ArgumentNullException.ThrowIfNull(category);
        return new RoutingLogger(category, ambient: false);
    }

    /// <summary>The Deferred layer's logger (failing cancellers), following the calling thread's tracker.</summary>
    internal static ILogger Deferred => s_deferred;

    /// <summary>
    /// Resolves its factory at each call and keeps the logger made from the last one: logging is a cold path, and a
    /// one-entry cache is enough for the usual case of one factory per thread.
    /// </summary>
    private sealed class RoutingLogger(string category, bool ambient) : ILogger
    {
        private Resolved? _last;

        private ILogger Target
        {
            get
            {
                var factory = ambient ? CurrentLoggerFactory : s_factory;
                var last = Volatile.Read(ref _last);
                if (last is not null && ReferenceEquals(last.Factory, factory))
                {
                    return last.Logger;
                }
                var logger = factory.CreateLogger(category);
                Volatile.Write(ref _last, new Resolved(factory, logger));
                return logger;
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => Target.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => Target.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Target.Log(logLevel, eventId, state, exception, formatter);

        private sealed record Resolved(ILoggerFactory Factory, ILogger Logger);
    }

    /// <summary>The default: warnings and errors on standard error, one line per event plus the exception.</summary>
    private sealed class StandardErrorLoggerFactory : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException(
            "The default AsyncCore logger does not take providers; assign AsyncCoreLogging.LoggerFactory instead.");

        public ILogger CreateLogger(string categoryName) => new StandardErrorLogger(categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class StandardErrorLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            var line = $"{DateTime.UtcNow:O} [{logLevel}] {category}: {formatter(state, exception)}";
            if (exception is not null)
            {
                line += Environment.NewLine + exception;
            }
            Console.Error.WriteLine(line);
        }
    }
}
