namespace Brummer.Grains.Logs.Detection;

/// <summary>One output line as the detectors see it.</summary>
/// <param name="Sequence">The line's sequence number in its process (see <see cref="LogLine"/>).</param>
/// <param name="Time">When the line was captured.</param>
/// <param name="Stream">stdout or stderr: blocks are followed per stream, so the other stream never breaks one.</param>
/// <param name="Text">
/// The line without its line break and without ANSI escape codes (the capture path's stripped text); a trailing
/// carriage return is ignored.
/// </param>
public readonly record struct LogLineView(long Sequence, DateTimeOffset Time, LogSource Stream, string Text);
