using System.Buffers;
using System.Text.RegularExpressions;

namespace Brummer.Grains.Logs.Detection;

/// <summary>
/// The error and URL detectors, as data: one row per tool output shape, tried in table order. Each row of
/// <see cref="Default"/> is tested against output captured from the real tool (tests/fixtures, see its README).
/// To support another tool, add a row here and a captured output there.
/// </summary>
public sealed class DetectorTable
{
    /// <summary>Every pattern of the default table gives up after this long on one line (and counts as no match).</summary>
    // Generous on purpose: the timeout is wall-clock, so on a starved machine (a busy 2-core box, CI) a normal match
    // preempted for a few hundred ms would otherwise count as "no match" and split or miss errors. The patterns are
    // linear; the timeout only guards against pathological input.
    public static readonly TimeSpan DefaultMatchTimeout = TimeSpan.FromSeconds(1);

    public DetectorTable(IEnumerable<LogDetector> detectors)
    {
        ArgumentNullException.ThrowIfNull(detectors);
        Detectors = [.. detectors];
        var duplicate = Detectors.GroupBy(d => d.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Detector id '{duplicate.Key}' is used more than once.", nameof(detectors));
        }

        var invalid = Detectors.FirstOrDefault(d => d.MaxLines < 1 || d.MaxBlankLines < 0);
        if (invalid is not null)
        {
            throw new ArgumentException($"Detector '{invalid.Id}' needs MaxLines >= 1 and MaxBlankLines >= 0.", nameof(detectors));
        }

        ErrorDetectors = [.. Detectors.Where(d => d.Kind == DetectorKind.Error)];
        UrlDetectors = [.. Detectors.Where(d => d.Kind == DetectorKind.Url)];
        ErrorStarts = [.. ErrorDetectors.Select(d => new HintedDetector(d, HintsOf([d])))];
        UrlStarts = [.. UrlDetectors.Select(d => new HintedDetector(d, HintsOf([d])))];
        AnyErrorHint = ErrorDetectors.All(d => d.Hints.Count > 0) ? HintsOf(ErrorDetectors) : null;
    }

    /// <summary>The built-in table: Node.js, TypeScript, .NET, Python, Go, Rust, Java, and http(s) URLs.</summary>
    public static DetectorTable Default { get; } = new(DefaultDetectors());

    public IReadOnlyList<LogDetector> Detectors { get; }

    public IReadOnlyList<LogDetector> ErrorDetectors { get; }

    public IReadOnlyList<LogDetector> UrlDetectors { get; }

    /// <summary>The error detectors with their hints ready for a vectorised search.</summary>
    internal IReadOnlyList<HintedDetector> ErrorStarts { get; }

    internal IReadOnlyList<HintedDetector> UrlStarts { get; }

    /// <summary>Every error detector's hints together (null if one has none): a line with none of them starts nothing.</summary>
    internal SearchValues<string>? AnyErrorHint { get; }

    /// <summary>A detector pattern: compiled, culture-invariant, explicit captures only, with a match timeout.</summary>
    public static Regex Pattern(string pattern, TimeSpan? matchTimeout = null) =>
        new(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture,
            matchTimeout ?? DefaultMatchTimeout);

    private static SearchValues<string>? HintsOf(IEnumerable<LogDetector> detectors)
    {
        string[] hints = [.. detectors.SelectMany(d => d.Hints).Where(h => h.Length > 0).Distinct(StringComparer.Ordinal)];
        return hints.Length == 0 ? null : SearchValues.Create(hints, StringComparison.Ordinal);
    }

    private static IEnumerable<LogDetector> DefaultDetectors()
    {
        // Shared pieces. Patterns see ANSI-stripped lines and are anchored, so a line that cannot match fails at once.
        var nodeFrame = Pattern(@"^ {4}at \S");
        var dotnetBody = Pattern(@"^\s*(at \S.*|---> .+|--- End of .+ ---|<---)$");
        var javaBody = Pattern(@"^\s*(at \S.*|\.\.\. \d+ (more|common frames omitted)|Caused by: .+|Suppressed: .+)$");
        var pythonStart = @"Traceback \(most recent call last\):|\s*\+?\s*Exception Group Traceback \(most recent call last\):";

        return
        [
            // Node.js, process killed by an uncaught exception or unhandled rejection: the location ("file.js:3",
            // "node:fs:448", "file:///x.mjs:3", "[eval]:1"), the source line, a caret; then the thrown value (an error's
            // stack and properties, or any value) and, after a blank line, "Node.js v20.20.2".
            new("node-uncaught", DetectorKind.Error, "javascript",
                Pattern(@"^(file://|node:|\[eval\]|\.{0,2}/|[A-Za-z]:[\\/])\S*:\d+$"))
            {
                Hints = [".js:", ".mjs:", ".cjs:", ".ts:", ".mts:", ".cts:", ".jsx:", ".tsx:", "node:", "[eval]"],
                Confirm = [Pattern("^"), Pattern(@"^\s*\^+\s*$")],
                Body = Pattern(@"\S"),
                AfterBlank = Pattern(@"\S"),
                End = Pattern(@"^Node\.js v\d+\.\d+\.\d+$"),
                Title = TitleSource.FirstLineAfterConfirm,
            },

            // Node.js error printed by console.error / a logger: "TypeError: msg", "Error [ERR_X]: msg", then
            // "    at ..." frames; the error's properties follow indented ("  code: 'ENOENT'", "  [cause]: Error: ...").
            new("node-error", DetectorKind.Error, "javascript",
                Pattern(@"^(Uncaught )?([A-Za-z_$][\w$]*)?(Error|Exception|Rejection)( \[[^\]]*\])?(:.*)?$"))
            {
                Hints = ["Error", "Exception", "Rejection"],
                Confirm = [nodeFrame],
                Body = Pattern(@"^( {2,}\S.*|[}\]],?)$"),
            },

            // tsc --pretty false (and tsc through a pipe): "src/a.ts(7,7): error TS2322: msg", elaboration indented.
            new("tsc", DetectorKind.Error, "typescript", Pattern(@"^(.+\(\d+,\d+\): )?(error|warning) TS\d+: "))
            {
                Hints = [" TS"],
                Body = Pattern(@"^ +\S"),
            },

            // tsc --pretty (a terminal's default): "src/a.ts:7:7 - error TS2322: msg", blank, "7 code", squiggle,
            // related locations indented; blocks are one blank line apart, the summary two.
            new("tsc-pretty", DetectorKind.Error, "typescript", Pattern(@"^.+:\d+:\d+ - (error|warning) TS\d+: "))
            {
                Hints = [" TS"],
                Body = Pattern(@"^( +\S.*|\d+( .*)?)$"),
                AfterBlank = Pattern(@"^( +\S.*|\d+( .*)?)$"),
            },

            // .NET runtime, process killed: "Unhandled exception. System.X: msg", " ---> inner", "   at ...",
            // "   --- End of inner exception stack trace ---".
            new("dotnet-unhandled", DetectorKind.Error, "dotnet", Pattern(@"^Unhandled exception\. .+$"))
            {
                Hints = ["Unhandled exception. "],
                Body = dotnetBody,
            },

            // Java, thread killed: 'Exception in thread "main" java.lang.X: msg', "\tat ...", "Caused by: ...".
            new("java-uncaught", DetectorKind.Error, "java", Pattern(@"^Exception in thread ""[^""]*"" .+$"))
            {
                Hints = ["Exception in thread "],
                Body = javaBody,
            },

            // Java, printStackTrace or a logger: "java.lang.X: msg" confirmed by a Java frame "\tat a.B.c(B.java:9)".
            new("java-exception", DetectorKind.Error, "java",
                Pattern(@"^\s*([A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(Exception|Error|Throwable|Failure)(: .*)?$"))
            {
                Hints = ["Exception", "Error", "Throwable", "Failure"],
                Confirm = [Pattern(@"^\s*at [\w$./<>]+\(([^()]*:\d+|Native Method|Unknown Source)\)$")],
                Body = javaBody,
            },

            // .NET exception logged (ILogger, ToString()): "System.X: msg" confirmed by "   at ..." or " ---> ".
            new("dotnet-exception", DetectorKind.Error, "dotnet",
                Pattern(@"^\s*([A-Za-z_][\w`]*\.)+[A-Za-z_][\w`]*Exception(: .*)?$"))
            {
                Hints = ["Exception"],
                Confirm = [Pattern(@"^\s*(at \S.*|---> .+)$")],
                Body = dotnetBody,
            },

            // Python: "Traceback (most recent call last):", indented frames and code, ended by the unindented
            // "XError: msg"; chained exceptions ("During handling...", "The above exception...") stay in one block.
            // A SyntaxError in the main script has no header: it starts at '  File "x.py", line 2'.
            new("python-traceback", DetectorKind.Error, "python",
                Pattern($@"^({pythonStart}|\s+File ""[^""]+"", line \d+)$"))
            {
                Hints = ["Traceback (most recent call last):", "File \""],
                Body = Pattern(@"^\s+\S"),
                End = Pattern(@"^(?!Traceback \(most recent call last\):$)\S"),
                Chain = Pattern(@"^(During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)$"),
                AfterBlank = Pattern($"^({pythonStart})$"),
                Title = TitleSource.LastEndLine,
            },

            // Go: "panic: msg" (or "fatal error: msg", or net/http's logged "http: panic serving ip:port: msg"),
            // blank, "goroutine 1 [running]:", function lines and tab-indented file lines, "exit status 2" from go run.
            new("go-panic", DetectorKind.Error, "go",
                Pattern(@"^(panic: |fatal error: |(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)? )?http: panic serving ).*$"))
            {
                Hints = ["panic", "fatal error: "],
                Body = Pattern(@"^(\t.*|goroutine \d+ \[.*\]:|\[signal .*|created by .*|\S+\(.*\)( \.\.\.)?|\.\.\.additional frames elided\.\.\.|panic: .*)$"),
                AfterBlank = Pattern(@"^(goroutine \d+ \[.*\]:|exit status \d+)$"),
                End = Pattern(@"^exit status \d+$"),
            },

            // Rust: "thread 'main' (123) panicked at src/main.rs:2:5:", the message on the next line, then an
            // optional "stack backtrace:" with numbered frames, and "note: ..." last.
            new("rust-panic", DetectorKind.Error, "rust", Pattern(@"^thread '[^']*'( \(\d+\))? panicked at .+$"))
            {
                Hints = [" panicked at "],
                Confirm = [Pattern("^")],
                Body = Pattern(@"^(stack backtrace:|\s+\d+: .*|\s+at .*)$"),
                End = Pattern(@"^note: .*$"),
                Title = TitleSource.StartAndNextLine,
                Volatile = Pattern(@"^thread '[^']*'( \(\d+\))?"),
            },

            // URLs a process prints (dev servers announce where they listen): http(s), host or [IPv6], port, path.
            new("http-url", DetectorKind.Url, "any",
                Pattern(@"\bhttps?://(\[[0-9A-Fa-f:.]+\]|[^\s/?#<>""'{}|\\^`\[\]]+)([/?#][^\s<>""'{}|\\^`\[\]]*)?"))
            {
                Hints = ["://"],
            },
        ];
    }
}

/// <summary>A detector and its <see cref="LogDetector.Hints"/> as search values (null: no hints, always try).</summary>
internal sealed record HintedDetector(LogDetector Detector, SearchValues<string>? Hints)
{
    public bool MayStart(string line) => MayStart(line.AsSpan());

    public bool MayStart(ReadOnlySpan<char> line) => Hints is null || line.ContainsAny(Hints);
}
