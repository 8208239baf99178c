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
    IClusterClient client,
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
        var (pages, unreachable) = await FanOutAsync(targets.Nodes(name, node), grain => grain.SearchAsync(request), cancellationToken);
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
            client.GetGrain<INodeLogsGrain>(target.Node.Name).TailAsync(target.Script, count, after),
            options.Value.CallTimeout,
            cancellationToken);
        return new LogTailResult([.. page.Lines.Select(l => l.ToDto())], page.LastSequence);
    }

    public async Task<ErrorsResult> ErrorsAsync(string? name, string? node, int? limit, CancellationToken cancellationToken)
    {
        name = Arguments.OptionalName(name, "name");
        var take = Arguments.Count(limit, "limit", DefaultErrorsLimit);
        var (found, unreachable) = await FanOutAsync(targets.Nodes(name, Arguments.OptionalName(node, "node")), grain => grain.ErrorsAsync(name, take), cancellationToken);
        var errors = found.SelectMany(e => e).OrderBy(e => e.FirstSeen).Take(take).Select(e => e.ToDto()).ToList();
        return new ErrorsResult(errors, unreachable);
    }

    public async Task<UrlsResult> UrlsAsync(string? node, CancellationToken cancellationToken)
    {
        var (found, unreachable) = await FanOutAsync(targets.Nodes(null, Arguments.OptionalName(node, "node")), grain => grain.UrlsAsync(), cancellationToken);
        return new UrlsResult(
            [.. found.SelectMany(u => u).OrderBy(u => u.Node, StringComparer.Ordinal).ThenBy(u => u.FirstSeen).Select(u => u.ToDto())],
            unreachable);
    }

    private async Task<(List<T> Answers, List<string> Unreachable)> FanOutAsync<T>(
        IReadOnlyList<NodeView> nodes, Func<INodeLogsGrain, Task<T>> ask, CancellationToken cancellationToken)
    {
        var unreachable = nodes.Where(n => n.IsLost).Select(n => n.Name).ToList();
        var live = nodes.Where(n => !n.IsLost).ToList();
        var calls = live.Select(n => ask(client.GetGrain<INodeLogsGrain>(n.Name)).WaitAsync(options.Value.CallTimeout, time, cancellationToken)).ToList();
        var answers = new List<T>(calls.Count);
        for (var i = 0; i < calls.Count; i++)
        {
            try
            {
                answers.Add(await calls[i]);
            }
            catch (Exception ex) when (ex is OrleansException or TimeoutException)
            {
                logger.LogInformation("Node {Node} did not answer a logs request: {Reason}", live[i].Name, ex.Message);
                unreachable.Add(live[i].Name);
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
