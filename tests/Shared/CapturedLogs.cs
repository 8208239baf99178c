using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Brummer.Tests;

/// <summary>What a host logged, kept in memory, so a test can read it (for failure messages, or to assert on levels).</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public sealed record Entry(DateTime Time, LogLevel Level, string Category, string Message, Exception? Exception)
    {
        public override string ToString() =>
            $"{Time:HH:mm:ss.fff} {Level} {Category}: {Message}{(Exception is null ? string.Empty : $" ({Exception.GetType().Name}: {Exception.Message})")}";
    }

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public IEnumerable<string> Lines => Entries.Select(e => e.ToString());

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            owner.Entries.Enqueue(new Entry(DateTime.UtcNow, logLevel, category, formatter(state, exception), exception));
        }
    }
}
