namespace Brummer.Grains.Logs;

public enum LogSource
{
    Stdout = 1,
    Stderr = 2,
}

/// <summary>One captured output line.</summary>
/// <param name="Sequence">Per process, starting at 1 and growing by one per line, across restarts.</param>
public sealed record LogLine(long Sequence, DateTimeOffset Time, LogSource Source, string Text);
