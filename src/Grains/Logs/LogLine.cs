namespace Brummer.Grains.Logs;

public enum LogSource
{
    Stdout = 1,
    Stderr = 2,
}

public static class LogSourceExtensions
{
    /// <summary>The stream's name on the wire, in the API and in telemetry (<c>log.iostream</c>).</summary>
    public static string ToWireName(this LogSource source) => source == LogSource.Stderr ? "stderr" : "stdout";
}

/// <summary>
/// One captured output line, as read from a <see cref="LogBuffer"/> (a copy: the buffer stores lines in rings, not as
/// objects). Immutable, so readers may hold it while the buffer moves on.
/// </summary>
public sealed class LogLine
{
    /// <summary>What one line costs a <see cref="LogBuffer"/> besides its text: its entry in the buffer's entry ring.</summary>
    public const int OverheadBytes = 40;

    public LogLine(long sequence, DateTimeOffset time, LogSource source, string text)
        : this(sequence, time, source, text, AnsiEscapes.Strip(text))
    {
    }

    internal LogLine(long sequence, DateTimeOffset time, LogSource source, string text, string searchText)
    {
        ArgumentNullException.ThrowIfNull(text);
        Sequence = sequence;
        Time = time;
        Source = source;
        Text = text;
        SearchText = searchText;
    }

    /// <summary>Per process, starting at 1 and growing by one per line, across restarts; never reused.</summary>
    public long Sequence { get; }

    /// <summary>When the line was captured; never earlier than the line before it in the same buffer.</summary>
    public DateTimeOffset Time { get; }

    public LogSource Source { get; }

    /// <summary>The line as printed (without its line break), colour and other escape codes kept, for display.</summary>
    public string Text { get; }

    /// <summary>
    /// <see cref="Text"/> without ANSI escape sequences, for searching and detection; the very same string instance
    /// when the line has none (the common case for piped output).
    /// </summary>
    public string SearchText { get; }

    /// <summary>True when <see cref="Text"/> carries escape codes (so <see cref="SearchText"/> differs).</summary>
    public bool HasEscapes => !ReferenceEquals(Text, SearchText);

    /// <summary>The memory this line holds in a buffer, as <see cref="LogBuffer.Bytes"/> counts it.</summary>
    public int Bytes => CostOf(Text, SearchText);

    public override string ToString() => $"#{Sequence} {Time:O} {Source}: {Text}";

    internal static int CostOf(string text, string searchText) =>
        OverheadBytes + (2 * text.Length) + (ReferenceEquals(text, searchText) ? 0 : 2 * searchText.Length);
}
