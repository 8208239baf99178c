using System.Collections.Immutable;

namespace Brummer.Grains.Abstractions;

/// <summary>
/// Everything a node publishes about itself at one version: its scripts and the processes it has run.
/// Gateways replace their view of a node with a newer snapshot; an older one is ignored. Versions count within one
/// <see cref="Incarnation"/> (one run of the node): a restarted node starts again from 1 under a new incarnation.
/// </summary>
[GenerateSerializer, Immutable, Alias("brummer.node-snapshot")]
public sealed record NodeSnapshot(
    [property: Id(0)] string Node,
    [property: Id(1)] string Address,
    [property: Id(2)] long Version,
    [property: Id(3)] DateTimeOffset AsOf,
    [property: Id(4)] ImmutableArray<ScriptInfo> Scripts,
    [property: Id(5)] ImmutableArray<ProcessInfo> Processes,
    [property: Id(6)] long Incarnation = 0);

/// <summary>
/// What changed on a node between two versions: every process whose version is above <see cref="FromVersion"/>.
/// A gateway that holds the node at <see cref="FromVersion"/> or later can merge it; one that holds less has missed
/// a delta (a gap) and pulls the full snapshot instead.
/// </summary>
[GenerateSerializer, Immutable, Alias("brummer.node-delta")]
public sealed record NodeDelta(
    [property: Id(0)] string Node,
    [property: Id(1)] long Incarnation,
    [property: Id(2)] long FromVersion,
    [property: Id(3)] long ToVersion,
    [property: Id(4)] DateTimeOffset AsOf,
    [property: Id(5)] ImmutableArray<ProcessInfo> Processes)
{
    /// <summary>The changes of <paramref name="snapshot"/> since <paramref name="fromVersion"/>.</summary>
    public static NodeDelta Since(NodeSnapshot snapshot, long fromVersion)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var changed = ImmutableArray.CreateBuilder<ProcessInfo>();
        foreach (var process in snapshot.Processes)
        {
            if (process.Version > fromVersion)
            {
                changed.Add(process);
            }
        }

        return new NodeDelta(snapshot.Node, snapshot.Incarnation, fromVersion, snapshot.Version, snapshot.AsOf, changed.ToImmutable());
    }
}
