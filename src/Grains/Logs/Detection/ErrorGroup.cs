namespace Brummer.Grains.Logs.Detection;

/// <summary>
/// One detected error and how often it happened. Occurrences with the same identity (detector and normalized title,
/// see <see cref="ErrorIdentity"/>) are one group; the block shown is the first occurrence's.
/// </summary>
/// <param name="DetectorId">The detector that found it, e.g. <c>node-error</c>.</param>
/// <param name="Language">The detector's language or tool, e.g. <c>javascript</c>.</param>
/// <param name="Title">
/// The line that says what went wrong, trimmed: <c>TypeError: x</c>, the final <c>KeyError: 'id'</c> of a Python
/// traceback, the thrown value of a Node crash; see <see cref="TitleSource"/>. <c>Lines[0]</c> is the block's first line.
/// </param>
/// <param name="Lines">The whole block as printed (ANSI-stripped), blank lines inside it included.</param>
/// <param name="OmittedLines">Lines left out of a block longer than the analyzer keeps; they sat at index
/// <paramref name="OmittedAt"/> of <paramref name="Lines"/> (the head and the tail are kept).</param>
/// <param name="OmittedAt">Where the omitted lines were; equals <c>Lines.Count</c> when none were.</param>
/// <param name="Stream">The stream the block was printed on.</param>
/// <param name="FirstSequence">Sequence number of the first occurrence's first line.</param>
/// <param name="LastSequence">Sequence number of the latest occurrence's first line.</param>
/// <param name="FirstTime">When the first occurrence started.</param>
/// <param name="LastTime">When the latest occurrence started.</param>
/// <param name="Count">How many times it happened.</param>
/// <param name="Complete">False while the latest occurrence's block may still grow (no line has ended it yet).</param>
/// <param name="Run">The run of the process that printed it (1 for the first start); the same error in another run is another group.</param>
public sealed record ErrorGroup(
    string DetectorId,
    string Language,
    string Title,
    IReadOnlyList<string> Lines,
    int OmittedLines,
    int OmittedAt,
    LogSource Stream,
    long FirstSequence,
    long LastSequence,
    DateTimeOffset FirstTime,
    DateTimeOffset LastTime,
    int Count,
    bool Complete,
    int Run = 0);

/// <summary>A URL a process printed, once per origin (scheme, host, port).</summary>
/// <param name="Url">The URL to open: as printed, trailing punctuation removed, an unspecified host
/// (<c>0.0.0.0</c>, <c>[::]</c>) replaced by <see cref="LogAnalyzerOptions.ReachableHost"/>.</param>
/// <param name="Printed">The URL as it appeared in the line (trailing punctuation removed).</param>
/// <param name="Stream">The stream it was printed on.</param>
/// <param name="Sequence">Sequence number of the line it first appeared in.</param>
/// <param name="FirstSeen">When that line was captured.</param>
public sealed record DetectedUrl(string Url, string Printed, LogSource Stream, long Sequence, DateTimeOffset FirstSeen);
