using System.Text.RegularExpressions;

namespace Brummer.Grains.Logs.Detection;

/// <summary>
/// When two errors are "the same": same detector and the same title once the parts that change between occurrences
/// are masked — dates and times, hex numbers and addresses, UUIDs, the port of an ip:port (net/http's client port),
/// runs of six or more digits (ids, pids, epoch times), the detector's own <see cref="LogDetector.Volatile"/> part
/// (Rust's thread name and id), and runs of white space. Shorter numbers stay: they are line:column positions
/// (<c>src/app.ts(11,71)</c> and <c>(11,74)</c> are two errors), counts and indexes (<c>index out of range [5]</c>).
/// The stack is not part of the identity: the same message from two call sites is one group.
/// </summary>
public static class ErrorIdentity
{
    private static readonly Regex Changing = new(
        @"(?<time>\d{4}[-/]\d\d[-/]\d\d[T ]\d\d:\d\d:\d\d([.,]\d+)?(Z|[+-]\d\d:?\d\d)?|\b\d{1,2}:\d\d:\d\d([.,]\d+)?( ?[AaPp][Mm])?\b)"
        + @"|(?<uuid>\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b)"
        + @"|(?<hex>\b0x[0-9A-Fa-f]+\b)"
        + @"|(?<ip>\b\d{1,3}(\.\d{1,3}){3}):\d+\b"
        + @"|(?<number>\b\d{6,}\b)"
        + @"|(?<space>\s+)",
        RegexOptions.Compiled | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture,
        DetectorTable.DefaultMatchTimeout);

    /// <summary>The identity key of an error found by <paramref name="detector"/> with this title.</summary>
    public static string Of(LogDetector detector, string title)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(title);
        var text = title.Trim();
        try
        {
            if (detector.Volatile is not null)
            {
                text = detector.Volatile.Replace(text, "…");
            }

            text = Changing.Replace(text, Mask);
        }
        catch (RegexMatchTimeoutException)
        {
            // A title that defeats the patterns is its own identity: never merged, never lost.
        }

        return detector.Id + "\n" + text;
    }

    private static string Mask(Match match) =>
        match.Groups["time"].Success ? "<time>"
        : match.Groups["uuid"].Success ? "<uuid>"
        : match.Groups["hex"].Success ? "0x…"
        : match.Groups["ip"].Success ? match.Groups["ip"].Value + ":#"
        : match.Groups["number"].Success ? "#"
        : " ";
}
