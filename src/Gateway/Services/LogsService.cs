using System.Collections.Immutable;
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
    ClusterStatusCache cache,
    ScriptsService scripts,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<LogsService> logger)
{
    public const int DefaultSearchLimit = 100;
    public const int MaxLimit = 1_000;
    public const int DefaultTailLines = 100;
    public const int DefaultErrorsLimit = 20;

    public async Task<LogSearchResult> SearchAsync(string? query, bool regex, string? name, string? node, string? stream, string? since, int? limit, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(query))
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, "'query' is required: the text (or, with regex: true, the .NET regular expression) to look for.");
        }

        if (regex)
        {
            ValidateRegex(query);
        }

        if (stream is not (null or "" or "stdout" or "stderr"))
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, $"'stream' must be stdout or stderr; got '{stream}'.");
        }

        var take = Limit(limit, DefaultSearchLimit);
        var request = new LogQuery(query, regex, NullIfEmpty(name), NullIfEmpty(stream), SinceParser.Parse(since, time.GetUtcNow()), take);
        var (pages, unreachable) = await FanOutAsync(Targets(name, node), (grain, _) => grain.SearchAsync(request), cancellationToken);
        var lines = pages
            .SelectMany(p => p.Lines)
            .OrderByDescending(l => l.Time)
            .ThenByDescending(l => l.Sequence)
            .Take(take)
            .Select(LogLineDto.From)
            .ToList();
        return new LogSearchResult(lines, pages.Any(p => p.Truncated), unreachable);
    }

    public async Task<LogTailResult> TailAsync(string? name, string? node, int? lines, long? afterSeq, CancellationToken cancellationToken)
    {
        var (target, script) = scripts.Target(name, node);
        var page = await Call(client.GetGrain<INodeLogsGrain>(target).TailAsync(script, Limit(lines, DefaultTailLines), afterSeq), cancellationToken);
        return new LogTailResult([.. page.Lines.Select(LogLineDto.From)], page.LastSequence);
    }

    public async Task<ErrorsResult> ErrorsAsync(string? name, string? node, int? limit, CancellationToken cancellationToken)
    {
        var take = Limit(limit, DefaultErrorsLimit);
        var (found, unreachable) = await FanOutAsync(Targets(name, node), (grain, _) => grain.ErrorsAsync(NullIfEmpty(name), take), cancellationToken);
        var errors = found.SelectMany(e => e).OrderBy(e => e.FirstSeen).Take(take).Select(ErrorDto.From).ToList();
        return new ErrorsResult(errors, unreachable);
    }

    public async Task<UrlsResult> UrlsAsync(string? node, CancellationToken cancellationToken)
    {
        var (found, unreachable) = await FanOutAsync(Targets(null, node), (grain, _) => grain.UrlsAsync(), cancellationToken);
        return new UrlsResult(
            [.. found.SelectMany(u => u).OrderBy(u => u.Node, StringComparer.Ordinal).ThenBy(u => u.FirstSeen).Select(UrlDto.From)],
            unreachable);
    }

    /// <summary>The nodes to ask: one named node, or every node (that has the script, when one is named).</summary>
    private List<NodeView> Targets(string? name, string? node)
    {
        var view = cache.Current;
        IEnumerable<NodeView> nodes = string.IsNullOrEmpty(node) ? view.Nodes : [ScriptsService.RequireNode(view, node)];
        if (!string.IsNullOrEmpty(name))
        {
            nodes = nodes.Where(n => n.HasScript(name)).ToList();
            if (!nodes.Any())
            {
                throw ScriptsService.UnknownScript(view, name, NullIfEmpty(node));
            }
        }

        return [.. nodes];
    }

    private async Task<(List<T> Answers, List<string> Unreachable)> FanOutAsync<T>(
        List<NodeView> nodes, Func<INodeLogsGrain, string, Task<T>> ask, CancellationToken cancellationToken)
    {
        var unreachable = nodes.Where(n => n.IsLost).Select(n => n.Name).ToList();
        var live = nodes.Where(n => !n.IsLost).ToList();
        var calls = live.Select(n => ask(client.GetGrain<INodeLogsGrain>(n.Name), n.Name).WaitAsync(options.Value.CallTimeout, time, cancellationToken)).ToList();
        var answers = new List<T>(calls.Count);
        for (var i = 0; i < calls.Count; i++)
        {
            try
            {
                answers.Add(await calls[i]);
            }
            catch (Exception ex) when (ex is OrleansException or TimeoutException)
            {
                logger.LogWarning(ex, "Node {Node} did not answer a logs request", live[i].Name);
                unreachable.Add(live[i].Name);
            }
        }

        unreachable.Sort(StringComparer.Ordinal);
        return (answers, unreachable);
    }

    private static async Task<T> Call<T>(Task<T> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is ArgumentException)
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, ex.Message, ex);
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, $"The node could not be reached: {ex.Message}", ex);
        }
    }

    private static void ValidateRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException ex)
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, $"'query' is not a valid regular expression: {ex.Message}", ex);
        }
    }

    private static int Limit(int? requested, int fallback) => requested switch
    {
        null => fallback,
        < 1 => throw new GatewayException(GatewayErrorKind.BadRequest, "'limit'/'lines' must be at least 1."),
        > MaxLimit => MaxLimit,
        { } value => value,
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
