using Orleans.Placement;
using Orleans.Runtime;

namespace Brummer.Grains.Placement;

/// <summary>
/// Places a grain on the silo whose name is the node in its key (<c>node</c> or <c>node/script</c>): a process grain
/// must live on the machine that runs its process, and nowhere else — not even after that machine died.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("brummer.node-pinned-placement")]
public sealed class NodePinnedPlacement : PlacementStrategy
{
    public static readonly NodePinnedPlacement Instance = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class NodePinnedPlacementAttribute() : PlacementAttribute(NodePinnedPlacement.Instance);
