using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Logs;
using Brummer.Grains.Placement;
using Brummer.Grains.Processes;
using Orleans.Concurrency;

namespace Brummer.Grains;

/// <summary>
/// Answers log questions on the node that holds the buffers. Reentrant: reads never wait for each other, and a slow
/// search never holds up a tail, because searches run off the grain's turn (a turn interleaves others only at its
/// awaits), one at a time per node. Work per call is bounded by <see cref="MaxScannedLines"/> and the regex time limit.
/// </summary>
[NodePinnedPlacement, Reentrant]
public sealed class NodeLogsGrain(NodeProcesses processes, TimeProvider time) : Grain, INodeLogsGrain, IDisposable
{
    // One search at a time: each may take a core for its whole budget, and the node has scripts to run.
    private readonly SemaphoreSlim _searching = new(1, 1);

    /// <summary>Lines one search may examine on a node, over all its processes (the default buffers hold 10,000 each).</summary>
    public const int MaxScannedLines = 1_000_000;

    /// <summary>How long one regex may spend on one line before it counts as no match (no catastrophic backtracking).</summary>
    public static readonly TimeSpan RegexLineTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>The most time one search may take on a node; then it answers with what it found, marked truncated.</summary>
    public static readonly TimeSpan SearchTimeBudget = TimeSpan.FromSeconds(2);

    /// <summary>Kept back from the asker's deadline for the answer's way back.</summary>
    private static readonly TimeSpan AnswerMargin = TimeSpan.FromMilliseconds(250);

    public async Task<LogPage> SearchAsync(LogQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var supervisors = Supervisors(query.Script).ToList(); // an unknown script is refused before any wait
        if (!await _searching.WaitAsync(Budget(query)))
        {
            return new LogPage([], Truncated: true, 0); // the asker gave up while earlier searches ran
        }

        try
        {
            // Measured after the wait: the searches ahead of this one spent part of the asker's time.
            var budget = Budget(query);
            return budget <= TimeSpan.Zero
                ? new LogPage([], Truncated: true, 0)
                : await Task.Run(() => Search(processes.Node, supervisors, query, MaxScannedLines, budget));
        }
        finally
        {
            _searching.Release();
        }
    }

    public void Dispose() => _searching.Dispose();

    /// <summary>
    /// The asker's deadline wins over the usual budget: an answer that arrives after it gave up is wasted work, and a
    /// node that answers in time (if truncated) is never reported unreachable. Never negative.
    /// </summary>
    private TimeSpan Budget(LogQuery query)
    {
        var budget = query.AnswerBy is { } answerBy ? Min(SearchTimeBudget, answerBy - time.GetUtcNow() - AnswerMargin) : SearchTimeBudget;
        return budget < TimeSpan.Zero ? TimeSpan.Zero : budget;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>
    /// One node's part of a logs_search: newest first per process, at most <see cref="LogQuery.Limit"/> overall, and
    /// never more than <paramref name="maxScannedLines"/> lines examined or <paramref name="timeBudget"/> spent;
    /// hitting either (or a regex's per-line limit) answers what was found, marked truncated.
    /// </summary>
    internal static LogPage Search(string node, IEnumerable<ProcessSupervisor> supervisors, LogQuery query, int maxScannedLines, TimeSpan timeBudget)
    {
        ArgumentNullException.ThrowIfNull(query);
        var matches = Matcher(query);
        var stream = query.Stream switch
        {
            null => (LogSource?)null,
            "stdout" => LogSource.Stdout,
            "stderr" => LogSource.Stderr,
            _ => throw new ArgumentException($"'stream' must be stdout or stderr; got '{query.Stream}'."),
        };

        var found = new List<LogEntry>();
        var budget = maxScannedLines;
        var truncated = false;
        var started = Stopwatch.GetTimestamp();
        foreach (var supervisor in supervisors)
        {
            if (budget <= 0 || Stopwatch.GetElapsedTime(started) > timeBudget)
            {
                truncated = true;
                break;
            }

            var timedOut = false;
            LogMatches result;
            try
            {
                result = supervisor.Output.Log.Search(
                    line => (stream is null || line.Source == stream) && matches(line.SearchText, ref timedOut) | OutOfTime(started, timeBudget),
                    query.Limit,
                    budget,
                    query.Since);
            }
            catch (TimeoutException)
            {
                truncated = true;
                break;
            }

            budget -= result.Scanned;
            truncated |= result.CutShort | timedOut;
            found.AddRange(result.Lines.Select(line => Entry(node, supervisor.Name, line)));
        }

        var newest = found.OrderByDescending(l => l.Time).ThenByDescending(l => l.Sequence).Take(query.Limit).ToImmutableArray();
        return new LogPage(newest, truncated, 0);
    }

    public Task<LogPage> TailAsync(string script, int lines, long? afterSequence)
    {
        var supervisor = Supervisors(script).Single();
        if (afterSequence is { } after)
        {
            // Oldest first from the caller's position, so a follower misses nothing the buffer still holds.
            var slice = supervisor.Output.Log.After(after, lines);
            return Task.FromResult(new LogPage([.. slice.Lines.Select(l => Entry(processes.Node, supervisor.Name, l))], slice.HasMore, slice.ContinueAfter));
        }

        var tail = supervisor.Output.Log.Tail(lines);
        return Task.FromResult(new LogPage([.. tail.Select(l => Entry(processes.Node, supervisor.Name, l))], Truncated: false, supervisor.Output.Log.LastSequence));
    }

    public Task<ImmutableArray<ErrorReport>> ErrorsAsync(string? script, int limit, int? run = null, bool allRuns = false)
    {
        var errors = Supervisors(script)
            .SelectMany(s => s.Output.Analyzer.Errors
                .Where(e => allRuns || e.Run == (run ?? s.Output.Run))
                .Select(e => new ErrorReport(
                    processes.Node, s.Name, e.Language, e.Title, [.. e.Lines], e.FirstTime, e.LastTime, e.Count, e.FirstSequence, e.Run)))
            .OrderBy(e => e.FirstSeen)
            .Take(limit)
            .ToImmutableArray();
        return Task.FromResult(errors);
    }

    public Task<ImmutableArray<UrlReport>> UrlsAsync() =>
        Task.FromResult(Supervisors(null)
            .SelectMany(s => s.Output.Analyzer.Urls.Select(u => new UrlReport(processes.Node, s.Name, u.Url, u.FirstSeen)))
            .ToImmutableArray());

    /// <summary>Ends a scan that ran out of time (the buffer's scan stops on the predicate's exception); never a match.</summary>
    private static bool OutOfTime(long started, TimeSpan budget) =>
        Stopwatch.GetElapsedTime(started) > budget ? throw new TimeoutException() : false;

    private IEnumerable<ProcessSupervisor> Supervisors(string? script)
    {
        if (script is null)
        {
            return processes.All;
        }

        return processes.TryGet(script, out var supervisor)
            ? [supervisor]
            : throw new ArgumentException($"Unknown script '{script}' on node '{processes.Node}'. Scripts: {string.Join(", ", processes.ScriptNames)}.");
    }

    private static LogEntry Entry(string node, string script, LogLine line) => new(
        node, script, line.Sequence, line.Time, line.Source.ToWireName(), line.Text);

    private delegate bool LineMatcher(ReadOnlySpan<char> text, ref bool timedOut);

    private static LineMatcher Matcher(LogQuery query)
    {
        if (!query.IsRegex)
        {
            var needle = query.Pattern;
            return (ReadOnlySpan<char> text, ref bool _) => text.Contains(needle, StringComparison.OrdinalIgnoreCase);
        }

        var regex = new Regex(query.Pattern, RegexOptions.CultureInvariant, RegexLineTimeout);
        return (ReadOnlySpan<char> text, ref bool timedOut) =>
        {
            try
            {
                return regex.IsMatch(text);
            }
            catch (RegexMatchTimeoutException)
            {
                timedOut = true; // Reported as a truncated answer: that line could not be decided.
                return false;
            }
        };
    }
}
