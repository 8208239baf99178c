using Brummer.Gateway.Contracts;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Services;

/// <summary>What nodes remember of their processes: each one's last runs. Asked of the node that keeps them.</summary>
public sealed class RecordsService(ClusterTargets targets, NodeCalls calls, IOptions<GatewayOptions> options, TimeProvider time)
{
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
