using System.Text;
using System.Text.RegularExpressions;
using Brummer.Grains.Logs;
using Brummer.Grains.Logs.Detection;

namespace Brummer.Grains.Tests.Detection;

/// <summary>
/// The captured tool outputs in tests/fixtures (how each was made: its README), read the way the capture path hands
/// lines to a <see cref="LogAnalyzer"/>: split at line feeds, carriage returns and ANSI escape codes removed.
/// </summary>
internal static partial class Fixtures
{
    public static readonly DateTimeOffset Start = new(2026, 11, 28, 6, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<string> Folder = new(FindFolder);

    public static string Directory => Folder.Value;

    /// <summary>The fixture's lines as printed (UTF-8), escape codes removed.</summary>
    public static IReadOnlyList<string> Lines(string fixture)
    {
        var text = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(Folder.Value, fixture)));
        var lines = text.Split('\n').Select(l => EscapeCode().Replace(l.TrimEnd('\r'), "")).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    /// <summary>Feeds a whole fixture on one stream (one line per <paramref name="step"/>), then completes.</summary>
    public static LogAnalyzer Analyze(
        string fixture, LogAnalyzerOptions? options = null, DetectorTable? table = null, TimeSpan step = default)
    {
        var analyzer = new LogAnalyzer(table, options);
        Feed(analyzer, Lines(fixture), LogSource.Stderr, firstSequence: 1, step);
        analyzer.Complete();
        return analyzer;
    }

    /// <summary>Line <c>i</c> gets sequence <c>firstSequence + i</c> and time <c>Start + (sequence - 1) * step</c>.</summary>
    public static void Feed(
        LogAnalyzer analyzer, IEnumerable<string> lines, LogSource stream, long firstSequence = 1, TimeSpan step = default)
    {
        var sequence = firstSequence;
        foreach (var line in lines)
        {
            analyzer.Observe(View(sequence, line, stream, step));
            sequence++;
        }
    }

    public static LogLineView View(long sequence, string text, LogSource stream = LogSource.Stderr, TimeSpan step = default) =>
        new(sequence, Start + ((sequence - 1) * step), stream, text);

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"No tests/fixtures folder above {AppContext.BaseDirectory}.");
    }

    // CSI (colours, cursor moves, screen clears), OSC (titles, links) and two-byte escapes.
    [GeneratedRegex(@"\x1B(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1B]*(\x07|\x1B\\)|[@-Z\\-_])")]
    private static partial Regex EscapeCode();
}
