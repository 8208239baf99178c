using Brummer.Grains.Logs;
using Brummer.Grains.Logs.Detection;
using Brummer.Grains.Telemetry;

namespace Brummer.Grains.Processes;

/// <summary>Sees one line of a process's output as it arrives (stdout and stderr threads may call it at once).</summary>
public delegate void OutputLineWatcher(LogSource stream, ReadOnlySpan<char> text);

/// <summary>
/// Everything one process has printed, across its runs: the <see cref="LogBuffer"/> the logs grain reads, the
/// <see cref="LogAnalyzer"/> that groups errors and finds URLs, and the summary status shows (the last line of the
/// current run). It outlives runs and redefinitions, so a restart or reload loses no output.
/// </summary>
public sealed class ProcessOutput
{
    /// <summary>Blank lines status looks past to find the last line that says something.</summary>
    private const int LastLineLookback = 64;

    private long _runFirstSequence = 1; // status shows only this run's last line
    private int _run;
    private OutputLineWatcher? _watcher;
    private ScriptOutputExport? _export;

    // Per stream, each written only by that stream's capture loop: counted where the line is handled anyway, read by
    // the node's metrics at collection time.
    private long _stdoutLines;
    private long _stderrLines;
    private long _stdoutBytes;
    private long _stderrBytes;
    private long _truncated;

    public ProcessOutput(ProcessOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        Log = new LogBuffer(options.LogLines, options.LogBytes, time);
        Analyzer = new LogAnalyzer(options: new LogAnalyzerOptions { ReachableHost = options.ReachableHost });
    }

    public LogBuffer Log { get; }

    /// <summary>Errors (grouped per run) and URLs found in the output, across runs (sequence numbers continue).</summary>
    public LogAnalyzer Analyzer { get; }

    /// <summary>Raised after every line is stored; the status projector uses it to refresh the last line.</summary>
    public event Action? LineStored;

    /// <summary>The first sequence number of the current run.</summary>
    public long RunFirstSequence => Volatile.Read(ref _runFirstSequence);

    /// <summary>The current run's number: 1 for the first start on this node, 0 before it.</summary>
    public int Run => Volatile.Read(ref _run);

    /// <summary>
    /// A new run begins: its lines start after everything printed so far, and the errors they hold are its own.
    /// Returns the run's number.
    /// </summary>
    public int BeginRun()
    {
        var run = Interlocked.Increment(ref _run);
        Volatile.Write(ref _runFirstSequence, Log.LastSequence + 1);
        Analyzer.BeginRun(run);
        return run;
    }

    /// <summary>The process is gone: a block it was printing is as complete as it will get.</summary>
    public void EndRun() => Analyzer.Complete();

    /// <summary>Watches the lines of the current run (a log probe); null stops watching.</summary>
    public void Watch(OutputLineWatcher? watcher) => Volatile.Write(ref _watcher, watcher);

    /// <summary>Where every line is exported (OpenTelemetry logs); null: nowhere.</summary>
    public void ExportTo(ScriptOutputExport? export) => Volatile.Write(ref _export, export);

    /// <summary>Lines captured from <paramref name="stream"/>, across runs.</summary>
    public long Lines(LogSource stream) => Volatile.Read(ref stream == LogSource.Stderr ? ref _stderrLines : ref _stdoutLines);

    /// <summary>What the lines from <paramref name="stream"/> held (2 bytes per character), across runs.</summary>
    public long Bytes(LogSource stream) => Volatile.Read(ref stream == LogSource.Stderr ? ref _stderrBytes : ref _stdoutBytes);

    /// <summary>Lines cut at the line limit, across runs.</summary>
    public long Truncated => Interlocked.Read(ref _truncated);

    /// <summary>A capture loop cut a line at the limit (<see cref="OutputLineSplitter"/>).</summary>
    public void OnTruncated() => Interlocked.Increment(ref _truncated);

    /// <summary>Called by the stdout and stderr capture loops (<see cref="OutputCapture"/>) for every line.</summary>
    // Allocates nothing for an ordinary line: the buffer copies it into its rings, and only lines the analyzer may
    // care about (a hint of an error or URL, or inside a block) become strings.
    public void OnLine(LogSource stream, ReadOnlySpan<char> text)
    {
        var stripped = AnsiEscapes.HasEscapes(text) ? AnsiEscapes.Strip(text.ToString()) : null;
        var searchText = stripped is null ? text : stripped.AsSpan();
        var (sequence, time) = Log.Append(stream, text, searchText);
        if (Analyzer.Wants(stream, searchText))
        {
            Analyzer.Observe(new LogLineView(sequence, time, stream, stripped ?? searchText.ToString()));
        }

        Volatile.Read(ref _watcher)?.Invoke(stream, searchText);
        Volatile.Read(ref _export)?.Appended();
        if (stream == LogSource.Stderr)
        {
            Volatile.Write(ref _stderrLines, _stderrLines + 1);
            Volatile.Write(ref _stderrBytes, _stderrBytes + (2L * text.Length));
        }
        else
        {
            Volatile.Write(ref _stdoutLines, _stdoutLines + 1);
            Volatile.Write(ref _stdoutBytes, _stdoutBytes + (2L * text.Length));
        }

        LineStored?.Invoke();
    }

    /// <summary>
    /// What status shows: the newest line of the current run that is not blank, without colour codes; null if there
    /// is none among the last few. A blank line says nothing (npm ends its header with one), and which of stdout and
    /// stderr printed last is a race between two pipes anyway.
    /// </summary>
    public string? LastLineOfRun()
    {
        var first = RunFirstSequence;
        if (Log.LastSequence < first)
        {
            return null;
        }

        var found = Log.Search(static line => !line.SearchText.IsWhiteSpace(), limit: 1, maxScanned: LastLineLookback);
        return found.Lines is [var line] && line.Sequence >= first ? line.SearchText : null;
    }
}
