using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Runner;

/// <summary>
/// Writes log entries as lines, as text or one JSON object per line, to standard output or a file (the runner's
/// <c>--logfile</c> and <c>--json-logs</c>). Thread-safe: the reactor, its pool and the signal handlers all log.
/// </summary>
internal sealed class LineLoggerProvider : ILoggerProvider, ILoggerFactory
{
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly bool _json;
    private readonly LogLevel _minimum;
    private readonly Lock _lock = new();

    public LineLoggerProvider(TextWriter writer, bool ownsWriter, bool json, LogLevel minimum)
    {
        _writer = writer;
        _ownsWriter = ownsWriter;
        _json = json;
        _minimum = minimum;
    }

    public static LineLoggerProvider Open(string? logFile, bool json, LogLevel minimum)
    {
        if (string.IsNullOrEmpty(logFile) || logFile == "-")
        {
            return new LineLoggerProvider(Console.Out, ownsWriter: false, json, minimum);
        }
        var stream = new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        return new LineLoggerProvider(new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true }, ownsWriter: true, json, minimum);
    }

    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _writer.Flush();
            if (_ownsWriter)
            {
                _writer.Dispose();
            }
        }
    }

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        string line;
        var now = DateTimeOffset.UtcNow;
        if (_json)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("timestamp", now);
                json.WriteString("level", level.ToString());
                json.WriteString("category", category);
                json.WriteString("message", message);
                if (exception is not null)
                {
                    json.WriteString("exception", exception.ToString());
                }
                json.WriteEndObject();
            }
            line = Encoding.UTF8.GetString(buffer.ToArray());
        }
        else
        {
            line = $"{now:yyyy-MM-ddTHH:mm:ss.fffZ} [{level}] {category}: {message}" + (exception is null ? "" : Environment.NewLine + exception);
        }
        lock (_lock)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    private sealed class LineLogger(LineLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= owner._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Write(logLevel, category, formatter(state, exception), exception);
            }
        }
    }
}
