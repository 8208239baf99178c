using Brummer.Grains.Abstractions;
using Brummer.Grains.Placement;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Brummer.Silo.Placement;

/// <summary>Chooses the silo named after the grain key's node among the live, compatible silos.</summary>
public sealed class NodePinnedPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var node = NodeOf(target.GrainIdentity.Key.ToString()!);
        var members = membership.CurrentSnapshot.Members;
        foreach (var silo in context.GetCompatibleSilos(target))
        {
            if (members.TryGetValue(silo, out var member) && member.Status == SiloStatus.Active &&
                string.Equals(member.Name, node, StringComparison.Ordinal))
            {
                return Task.FromResult(silo);
            }
        }

        var live = members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.Name).Order(StringComparer.Ordinal);
        throw new OrleansException($"Node '{node}' is not in the cluster. Live nodes: {string.Join(", ", live)}.");
    }

    private static string NodeOf(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? key : ProcessKey.Parse(key).Node;
    }

    public static void Register(IServiceCollection services) =>
        services.AddPlacementDirector<NodePinnedPlacement, NodePinnedPlacementDirector>();
}
