using System.Text.RegularExpressions;

namespace Brummer.Grains.Logs.Detection;

public enum DetectorKind
{
    /// <summary>Finds a multi-line error block (a stack trace, a compiler diagnostic).</summary>
    Error = 1,

    /// <summary>Finds URLs in a line; only <see cref="LogDetector.Start"/> is used.</summary>
    Url = 2,
}

/// <summary>Which line of a block names the error (shown as the group's title and used for its identity).</summary>
public enum TitleSource
{
    /// <summary>The line that started the block, e.g. <c>TypeError: x</c>, <c>panic: y</c>.</summary>
    StartLine = 1,

    /// <summary>The start line and the one after it, joined by a space (Rust: location, then message).</summary>
    StartAndNextLine = 2,

    /// <summary>The first non-blank line after the confirm lines (Node's crash header: the thrown value).</summary>
    FirstLineAfterConfirm = 3,

    /// <summary>The last line that matched <see cref="LogDetector.End"/> (Python: the final <c>XError: msg</c>).</summary>
    LastEndLine = 4,
}

/// <summary>
/// One row of a <see cref="DetectorTable"/>: how to recognise one tool's error block, or URLs, in output lines
/// (ANSI-stripped). Patterns are applied to whole lines; a block is read line by line:
/// <list type="number">
/// <item>a line matching <see cref="Start"/> opens a candidate;</item>
/// <item>the next lines must match <see cref="Confirm"/>, one pattern per line in order, or the candidate is dropped and
/// those lines are read afresh (this tells a Java trace from a .NET one, and a real stack from a line that merely
/// mentions an error);</item>
/// <item>then a line matching <see cref="End"/> is the block's last (unless <see cref="Chain"/> re-opens it), a line
/// matching <see cref="Body"/> continues it, anything else ends it and is read afresh;</item>
/// <item>up to <see cref="MaxBlankLines"/> blank lines stay inside the block when the next line matches
/// <see cref="AfterBlank"/> (or <see cref="Chain"/> after the end); otherwise a blank line ends it;</item>
/// <item>a block never grows past <see cref="MaxLines"/> lines.</item>
/// </list>
/// Time plays no part: neither a pause inside a block nor two errors printed in the same millisecond changes where
/// a block starts or ends.
/// </summary>
/// <param name="Id">Stable name, e.g. <c>python-traceback</c>; shown with each error.</param>
/// <param name="Kind">Error block or URL.</param>
/// <param name="Language">Language or tool, e.g. <c>javascript</c>, <c>typescript</c>, <c>dotnet</c>.</param>
/// <param name="Start">The first line of a block; for a URL detector, each match is a URL.</param>
public sealed record LogDetector(string Id, DetectorKind Kind, string Language, Regex Start)
{
    /// <summary>
    /// Text a line matching <see cref="Start"/> always contains (any one of these, case-sensitive): a vectorised
    /// pre-check, so the patterns only run on the few lines that could match. Empty: the pattern runs on every line.
    /// </summary>
    public IReadOnlyList<string> Hints { get; init; } = [];

    /// <summary>Lines that must follow the start line, one pattern each, for the block to count.</summary>
    public IReadOnlyList<Regex> Confirm { get; init; } = [];

    /// <summary>Lines that continue the block (stack frames, code excerpts); null: only confirm/end lines.</summary>
    public Regex? Body { get; init; }

    /// <summary>A line that is the block's last, included; null: the block ends at the first foreign line.</summary>
    public Regex? End { get; init; }

    /// <summary>After <see cref="End"/> (and blank lines), a line that continues the block: chained exceptions.</summary>
    public Regex? Chain { get; init; }

    /// <summary>A line that may follow blank lines inside the block; null: a blank line ends the block.</summary>
    public Regex? AfterBlank { get; init; }

    /// <summary>How many blank lines in a row may sit inside a block (with <see cref="AfterBlank"/>/<see cref="Chain"/>).</summary>
    public int MaxBlankLines { get; init; } = 1;

    /// <summary>A block ends once it has this many lines, whatever follows.</summary>
    public int MaxLines { get; init; } = 1_000;

    /// <summary>Which line names the error.</summary>
    public TitleSource Title { get; init; } = TitleSource.StartLine;

    /// <summary>Parts of the title that differ between occurrences of the same error (thread names, ids): ignored
    /// when deciding whether two errors are the same, on top of <see cref="ErrorIdentity"/>'s general rules.</summary>
    public Regex? Volatile { get; init; }
}
