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

    /// <summary>
    /// The grain directory node-pinned grains are registered in: on their own node only. Orleans' default directory
    /// spreads registrations over every silo, so activating a grain on node b could wait on node a — paused, swapping,
    /// cut off — when a owns that grain's slice of the directory. A grain whose place follows from its key needs no
    /// other node to say where it is.
    /// </summary>
    public const string DirectoryName = "brummer-node-local";
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class NodePinnedPlacementAttribute() : PlacementAttribute(NodePinnedPlacement.Instance)
{
    public override void Populate(IServiceProvider services, Type grainClass, GrainType grainType, Dictionary<string, string> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        base.Populate(services, grainClass, grainType, properties);
        properties["directory-policy"] = NodePinnedPlacement.DirectoryName;
    }
}
