using Brummer.Gateway.Contracts;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Services;

/// <summary>What nodes remember of their processes: each one's last runs, and who did what. Asked of the nodes that keep them.</summary>
public sealed class RecordsService(ClusterTargets targets, NodeCalls calls, IOptions<GatewayOptions> options, TimeProvider time)
{
    public const int DefaultAuditLimit = 50;

    /// <summary>The newest control actions of every reachable node (or one), newest first; nodes that do not answer are named.</summary>
    public async Task<AuditResult> AuditAsync(string? node, int? limit, CancellationToken cancellationToken)
    {
        var take = Arguments.Count(limit, "limit", DefaultAuditLimit);
        var now = time.GetUtcNow();
        var nodes = targets.Nodes(name: null, Arguments.OptionalName(node, "node"));
        var unreachable = nodes.Where(n => !n.IsReachable(now)).Select(n => n.Name).ToList();
        var asked = nodes.Where(n => n.IsReachable(now)).ToList();
        var answers = await Task.WhenAll(asked.Select(async n =>
        {
            try
            {
                return await calls.CallAsync(n.Name, calls.Grains(n.Name).GetGrain<INodeRecordsGrain>(n.Name).AuditAsync(take), options.Value.CallTimeout, cancellationToken);
            }
            catch (GatewayException ex) when (ex.Kind is GatewayErrorKind.Unavailable or GatewayErrorKind.Timeout)
            {
                return (System.Collections.Immutable.ImmutableArray<AuditEntry>?)null;
            }
        }));
        unreachable.AddRange(asked.Where((_, i) => answers[i] is null).Select(n => n.Name));
        unreachable.Sort(StringComparer.Ordinal);
        var entries = answers.Where(a => a is not null).SelectMany(a => a!.Value).OrderByDescending(e => e.At).Take(take).Select(e => e.ToDto()).ToList();
        return new AuditResult(entries, unreachable);
    }

    public async Task<HistoryResult> HistoryAsync(string? name, string? node, CancellationToken cancellationToken)
    {
        var target = targets.Process(Arguments.RequiredName(name, "name", "the script whose runs to list (see scripts_list)"), Arguments.OptionalName(node, "node"));
        var runs = await calls.CallAsync(
            target.Node.Name,
            calls.Grains(target.Node.Name).GetGrain<INodeRecordsGrain>(target.Node.Name).HistoryAsync(target.Script),
            options.Value.CallTimeout,
            cancellationToken);
        var now = time.GetUtcNow();
        return new HistoryResult(target.Node.Name, target.Script, [.. runs.Reverse().Select(r => r.ToDto(target.Node.Clock.ToNodeTime(now)))]);
    }
}
