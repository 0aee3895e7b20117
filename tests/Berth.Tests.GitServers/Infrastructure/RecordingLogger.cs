using Microsoft.Extensions.Logging;

namespace Berth.Tests.Infrastructure;

/// <summary>Keeps every formatted log line, so tests can assert what was logged and that no secret was.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<(LogLevel Level, EventId EventId, string Message)> entries = [];

    public IReadOnlyList<(LogLevel Level, EventId EventId, string Message)> Entries
    {
        get
        {
            lock (entries)
            {
                return entries.ToList();
            }
        }
    }

    public string AllText => string.Join(Environment.NewLine, Entries.Select(entry => $"{entry.Level} {entry.EventId.Id} {entry.Message}"));

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        // The structured values too: a secret must not hide in a property that a JSON sink would print.
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? string.Join(" ", pairs.Select(pair => $"{pair.Key}={pair.Value}"))
            : "";
        lock (entries)
        {
            entries.Add((logLevel, eventId, formatter(state, exception) + " " + values + (exception is null ? "" : " " + exception)));
        }
    }
}
