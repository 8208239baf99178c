using Brummer.Grains.Abstractions;
using Brummer.Grains.Placement;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;
using Orleans.Runtime.Placement;

namespace Brummer.Silo.Placement;

/// <summary>
/// Chooses the silo named after the grain key's node among the active, compatible silos (the newest generation, should
/// a restarted node briefly appear twice). No such silo is an error: a process grain never runs on another machine.
/// </summary>
public sealed class NodePinnedPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var node = NodeOf(target.GrainIdentity.Key.ToString()!);
        var members = membership.CurrentSnapshot.Members;
        SiloAddress? chosen = null;
        foreach (var silo in context.GetCompatibleSilos(target))
        {
            if (members.TryGetValue(silo, out var member) && member.Status == SiloStatus.Active &&
                string.Equals(member.Name, node, StringComparison.Ordinal) &&
                (chosen is null || chosen.Generation < silo.Generation))
            {
                chosen = silo;
            }
        }

        if (chosen is not null)
        {
            return Task.FromResult(chosen);
        }

        var live = members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.Name).Order(StringComparer.Ordinal);
        throw new OrleansException($"Node '{node}' is not in the cluster. Live nodes: {string.Join(", ", live)}.");
    }

    private static string NodeOf(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? key : ProcessKey.Parse(key).Node;
    }

    /// <summary>Node-pinned placement and the node-local directory that goes with it: every silo hosting such grains needs both.</summary>
    public static void Register(IServiceCollection services)
    {
        services.AddPlacementDirector<NodePinnedPlacement, NodePinnedPlacementDirector>();
        services.AddGrainDirectory(NodePinnedPlacement.DirectoryName, (sp, _) => ActivatorUtilities.CreateInstance<NodeLocalGrainDirectory>(sp));
    }
}
