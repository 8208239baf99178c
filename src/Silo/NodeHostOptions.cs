using Brummer.Grains.Processes;

namespace Brummer.Silo;

/// <summary>What a node needs to join a cluster and run its directory's scripts.</summary>
public sealed class NodeHostOptions
{
    /// <summary>The node's name: unique in the cluster, used in process keys and by users (<c>--node</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The directory whose package.json scripts this node runs.</summary>
    public required string Directory { get; init; }

    /// <summary>Orleans silo-to-silo port; 0 picks a free one.</summary>
    public int SiloPort { get; init; }

    /// <summary>Orleans client gateway port; 0 picks a free one.</summary>
    public int GatewayPort { get; init; }

    public ProcessOptions Processes { get; init; } = new();

    public static string DefaultName => Environment.MachineName.ToLowerInvariant();
}
