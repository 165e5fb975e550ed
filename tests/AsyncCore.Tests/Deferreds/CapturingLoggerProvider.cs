using Microsoft.Extensions.Logging;

namespace AsyncCore.Tests.Deferreds;

/// <summary>
/// A tiny logger provider that keeps every entry, with <see cref="CreateFactory"/> to hand it to AsyncCore as an
/// application would hand its own <see cref="ILoggerFactory"/>.
/// </summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly List<Entry> _entries = [];

    /// <summary>A copy of the entries so far (they may arrive from the finalizer thread).</summary>
    public IReadOnlyList<Entry> Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToArray();
            }
        }
    }

    /// <summary>The entries whose message or exception contains <paramref name="marker"/>.</summary>
    public IReadOnlyList<Entry> With(string marker) =>
        Entries.Where(e => e.Message.Contains(marker, StringComparison.Ordinal) || (e.Exception?.ToString().Contains(marker, StringComparison.Ordinal) ?? false)).ToArray();

    /// <summary>A logger factory whose only provider is this one.</summary>
    public ILoggerFactory CreateFactory() => new Factory(this);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    internal sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (provider._entries)
            {
                provider._entries.Add(new Entry(category, logLevel, formatter(state, exception), exception));
            }
        }
    }

    private sealed class Factory(CapturingLoggerProvider provider) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider other) => throw new NotSupportedException();

        public ILogger CreateLogger(string categoryName) => provider.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
