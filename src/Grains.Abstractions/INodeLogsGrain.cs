using System.Collections.Immutable;

namespace Brummer.Grains.Abstractions;

/// <summary>
/// A node's process output: bounded per-process buffers, searched, tailed and analysed on the node itself, so only
/// answers (never whole buffers) cross the network. Keyed by node name and living on that node.
/// </summary>
[Alias("brummer.node-logs")]
public interface INodeLogsGrain : IGrainWithStringKey
{
    /// <summary>Lines matching the query, newest first, at most <see cref="LogQuery.Limit"/>; work per call is bounded.</summary>
    [Alias("search")]
    Task<LogPage> SearchAsync(LogQuery query);

    /// <summary>The last <paramref name="lines"/> lines of a script's output, or the lines after a sequence number (oldest first).</summary>
    [Alias("tail")]
    Task<LogPage> TailAsync(string script, int lines, long? afterSequence);

    /// <summary>
    /// Errors detected in the output of this node's processes (one per distinct error per run, with its repeat count),
    /// oldest first: of each process's current run, of run <paramref name="run"/>, or, with <paramref name="allRuns"/>, of every run.
    /// </summary>
    [Alias("errors")]
    Task<ImmutableArray<ErrorReport>> ErrorsAsync(string? script, int limit, int? run = null, bool allRuns = false);

    /// <summary>URLs this node's processes printed (dev servers announcing where they listen).</summary>
    [Alias("urls")]
    Task<ImmutableArray<UrlReport>> UrlsAsync();
}

/// <summary>
/// What to look for. The pattern is matched against the text with colour codes stripped. <see cref="AnswerBy"/>, on
/// the node's clock, is when the asker stops waiting: the node answers with what it has found by then (truncated).
/// </summary>
[GenerateSerializer, Immutable, Alias("brummer.log-query")]
public sealed record LogQuery(
    [property: Id(0)] string Pattern,
    [property: Id(1)] bool IsRegex,
    [property: Id(2)] string? Script,
    [property: Id(3)] string? Stream,
    [property: Id(4)] DateTimeOffset? Since,
    [property: Id(5)] int Limit,
    [property: Id(6)] DateTimeOffset? AnswerBy = null);

/// <summary>One line of a process's output.</summary>
[GenerateSerializer, Immutable, Alias("brummer.log-entry")]
public sealed record LogEntry(
    [property: Id(0)] string Node,
    [property: Id(1)] string Script,
    [property: Id(2)] long Sequence,
    [property: Id(3)] DateTimeOffset Time,
    [property: Id(4)] string Stream,
    [property: Id(5)] string Text);

/// <summary>
/// Lines and what bounded them: <see cref="Truncated"/> is true when the work limit stopped the scan before the buffer's
/// start (more matches may exist further back); <see cref="LastSequence"/> is where a follower continues from.
/// </summary>
[GenerateSerializer, Immutable, Alias("brummer.log-page")]
public sealed record LogPage(
    [property: Id(0)] ImmutableArray<LogEntry> Lines,
    [property: Id(1)] bool Truncated,
    [property: Id(2)] long LastSequence);

/// <summary>An error found in a process's output, with its whole multi-line block and how often it recurred in <see cref="Run"/>.</summary>
[GenerateSerializer, Immutable, Alias("brummer.error-report")]
public sealed record ErrorReport(
    [property: Id(0)] string Node,
    [property: Id(1)] string Script,
    [property: Id(2)] string Kind,
    [property: Id(3)] string FirstLine,
    [property: Id(4)] ImmutableArray<string> Block,
    [property: Id(5)] DateTimeOffset FirstSeen,
    [property: Id(6)] DateTimeOffset LastSeen,
    [property: Id(7)] int Count,
    [property: Id(8)] long Sequence,
    [property: Id(9)] int Run = 0);

/// <summary>A URL a process printed.</summary>
[GenerateSerializer, Immutable, Alias("brummer.url-report")]
public sealed record UrlReport(
    [property: Id(0)] string Node,
    [property: Id(1)] string Script,
    [property: Id(2)] string Url,
    [property: Id(3)] DateTimeOffset FirstSeen);
