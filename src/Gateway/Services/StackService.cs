using Brummer.Gateway.Contracts;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Services;

/// <summary>Acts on nodes' definitions as a whole: reloading brummer.yaml and package.json without a restart.</summary>
public sealed class StackService(ClusterTargets targets, NodeCalls calls, IOptions<GatewayOptions> options, TimeProvider time)
{
    /// <summary>Reloads one node's definitions, or every reachable node's; each node answers what it changed or why it could not.</summary>
    public async Task<StackReloadResult> ReloadAsync(string? node, CancellationToken cancellationToken)
    {
        node = Arguments.OptionalName(node, "node");
        var now = time.GetUtcNow();
        var known = targets.Nodes(name: null, node);
        var nodes = known.Where(n => node is not null || n.IsReachable(now)).ToList();
        if (nodes.Count == 0)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, known.Count == 0
                ? "No node has joined the cluster yet: there is nothing to reload."
                : $"No node can be reloaded now: {string.Join(", ", known.Select(n => $"{n.Name} is {n.StatusAt(now)}"))}.");
        }

        calls.NameTheActor();
        var results = await Task.WhenAll(nodes.Select(async n =>
        {
            // A reload stops removed processes and restarts changed ones: as long as a stop may take, and then some.
            var wait = options.Value.ControlTimeout + n.StopAllowance;
            var result = await calls.CallAsync(n.Name, calls.Grains(n.Name).GetGrain<INodeGrain>(n.Name).ReloadAsync(), wait, cancellationToken);
            return result.ToDto();
        }));
        return new StackReloadResult(results);
    }
}
