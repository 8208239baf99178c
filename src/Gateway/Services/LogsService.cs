using System.Text.RegularExpressions;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Services;

/// <summary>
/// Logs across the cluster: validates at the gateway (so a bad regex or name costs no node anything), fans out to the
/// nodes in parallel with the limit applied per node, and merges. Nodes that are lost or do not answer in time are
/// named in the answer instead of failing it.
/// </summary>
public sealed class LogsService(
    ClusterTargets targets,
    NodeCalls calls,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<LogsService> logger)
{
    public const int DefaultSearchLimit = 100;
    public const int DefaultTailLines = 100;
    public const int DefaultErrorsLimit = 20;

    public async Task<LogSearchResult> SearchAsync(string? query, bool regex, string? name, string? node, string? stream, string? since, int? limit, CancellationToken cancellationToken)
    {
        query = Arguments.Query(query);
        if (regex)
        {
            ValidateRegex(query);
        }

        if (stream is not (null or "" or "stdout" or "stderr"))
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, $"'stream' must be stdout or stderr; got {InputText.Quote(stream)}.");
        }

        name = Arguments.OptionalName(name, "name");
        node = Arguments.OptionalName(node, "node");
        var take = Arguments.Count(limit, "limit", DefaultSearchLimit);
        var request = new LogQuery(query, regex, name, string.IsNullOrEmpty(stream) ? null : stream, SinceParser.Parse(since, time.GetUtcNow()), take);
        var (pages, unreachable) = await FanOutAsync(
            targets.Nodes(name, node),
            (grain, node, answerBy) => grain.SearchAsync(request with { AnswerBy = node.Clock.ToNodeTime(answerBy) }),
            cancellationToken);
        var lines = pages
            .SelectMany(p => p.Lines)
            .OrderByDescending(l => l.Time)
            .ThenByDescending(l => l.Sequence)
            .Take(take)
            .Select(l => l.ToDto())
            .ToList();
        return new LogSearchResult(lines, pages.Any(p => p.Truncated), unreachable);
    }

    public async Task<LogTailResult> TailAsync(string? name, string? node, int? lines, long? afterSeq, CancellationToken cancellationToken)
    {
        var target = targets.Process(Arguments.RequiredName(name, "name", "the script whose output to show"), Arguments.OptionalName(node, "node"));
        var count = Arguments.Count(lines, "lines", DefaultTailLines);
        var after = Arguments.Sequence(afterSeq, "after_seq");
        var page = await calls.CallAsync(
            target.Node.Name,
            calls.Grains(target.Node.Name).GetGrain<INodeLogsGrain>(target.Node.Name).TailAsync(target.Script, count, after),
            options.Value.CallTimeout,
            cancellationToken);
        return new LogTailResult([.. page.Lines.Select(l => l.ToDto())], page.LastSequence);
    }

    /// <summary>Errors of each process's current run, of one run (<paramref name="run"/>, with a name), or of every run (<paramref name="all"/>).</summary>
    public async Task<ErrorsResult> ErrorsAsync(string? name, string? node, int? limit, int? run, bool all, CancellationToken cancellationToken)
    {
        name = Arguments.OptionalName(name, "name");
        var take = Arguments.Count(limit, "limit", DefaultErrorsLimit);
        if (run is { } number)
        {
            if (all)
            {
                throw new GatewayException(GatewayErrorKind.BadRequest, "Pass 'run' (one run's errors) or 'all' (every run's), not both.");
            }

            if (name is null)
            {
                throw new GatewayException(GatewayErrorKind.BadRequest, "'run' needs 'name': run numbers belong to one script (scripts_history lists its runs).");
            }

            if (number < 1)
            {
                throw new GatewayException(GatewayErrorKind.BadRequest, $"'run' must be a run number, 1 or more; got {number}.");
            }
        }

        var (found, unreachable) = await FanOutAsync(targets.Nodes(name, Arguments.OptionalName(node, "node")), (grain, _, _) => grain.ErrorsAsync(name, take, run, all), cancellationToken);
        var errors = found.SelectMany(e => e).OrderBy(e => e.FirstSeen).Take(take).Select(e => e.ToDto()).ToList();
        return new ErrorsResult(errors, unreachable);
    }

    public async Task<UrlsResult> UrlsAsync(string? node, CancellationToken cancellationToken)
    {
        var (found, unreachable) = await FanOutAsync(targets.Nodes(null, Arguments.OptionalName(node, "node")), (grain, _, _) => grain.UrlsAsync(), cancellationToken);
        return new UrlsResult(
            [.. found.SelectMany(u => u).OrderBy(u => u.Node, StringComparer.Ordinal).ThenBy(u => u.FirstSeen).Select(u => u.ToDto())],
            unreachable);
    }

    /// <summary>
    /// Asks every node at once and waits for all of them until <see cref="GatewayOptions.LogsTimeout"/> — each through
    /// its own connection, told when the gateway stops waiting. Nodes that are lost, left or unresponsive are not asked;
    /// they and the ones that did not answer in time are named instead.
    /// </summary>
    private async Task<(List<T> Answers, List<string> Unreachable)> FanOutAsync<T>(
        IReadOnlyList<NodeView> nodes, Func<INodeLogsGrain, NodeView, DateTimeOffset, Task<T>> ask, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var unreachable = nodes.Where(n => !n.IsReachable(now)).Select(n => n.Name).ToList();
        var asked = nodes.Where(n => n.IsReachable(now)).ToList();
        var timeout = options.Value.LogsTimeout;
        var answerBy = now + timeout;
        var pending = asked
            .Select(n => ask(calls.Grains(n.Name).GetGrain<INodeLogsGrain>(n.Name), n, answerBy).WaitAsync(timeout, time, cancellationToken))
            .ToList();
        var answers = new List<T>(pending.Count);
        for (var i = 0; i < pending.Count; i++)
        {
            try
            {
                answers.Add(await pending[i]);
            }
            catch (Exception ex) when (ex is OrleansException or TimeoutException)
            {
                logger.LogInformation("Node {Node} did not answer a logs request: {Reason}", asked[i].Name, ex.Message);
                unreachable.Add(asked[i].Name);
            }
        }

        unreachable.Sort(StringComparer.Ordinal);
        return (answers, unreachable);
    }

    private static void ValidateRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
        }
        catch (RegexParseException ex)
        {
            // Its message repeats the whole pattern: say what and where instead.
            throw new GatewayException(GatewayErrorKind.BadRequest, $"'query' is not a valid regular expression: {ex.Error} at offset {ex.Offset}.", ex);
        }
    }
}
