using System.Collections.Immutable;

namespace Brummer.Grains.Abstractions;

/// <summary>
/// Everything a node publishes about itself at one version: its scripts and the processes it has run.
/// Gateways replace their view of a node with a newer snapshot; an older one is ignored. Versions count within one
/// <see cref="Incarnation"/> (one run of the node): a restarted node starts again from 1 under a new incarnation.
/// <see cref="GatewayEndpoint"/> is where gateways reach the node directly; <see cref="StopAllowance"/> the longest a
/// stop of one of its processes can take once begun (callers wait that long for a stop's answer).
/// <see cref="DefinitionsVersion"/> is the version at which its scripts last changed (a reload); a gateway holding
/// another one replaces its view of the node instead of merging. <see cref="DefinitionsError"/> says why the node's
/// definition files were last refused (it kept the previous definitions); null when they were read.
/// <see cref="PushEndpoint"/> is where gateways open a push connection of their own to the node
/// (<see cref="StatusPushWire"/>); null when the node offers none, and its changes come as Orleans observer calls.
/// </summary>
[GenerateSerializer, Immutable, Alias("brummer.node-snapshot")]
public sealed record NodeSnapshot(
    [property: Id(0)] string Node,
    [property: Id(1)] string Address,
    [property: Id(2)] long Version,
    [property: Id(3)] DateTimeOffset AsOf,
    [property: Id(4)] ImmutableArray<ScriptInfo> Scripts,
    [property: Id(5)] ImmutableArray<ProcessInfo> Processes,
    [property: Id(6)] long Incarnation = 0,
    [property: Id(7)] string? GatewayEndpoint = null,
    [property: Id(8)] TimeSpan StopAllowance = default,
    [property: Id(9)] long DefinitionsVersion = 0,
    [property: Id(10)] string? DefinitionsError = null,
    [property: Id(11)] string? PushEndpoint = null);

/// <summary>
/// What changed on a node between two versions: every process whose version is above <see cref="FromVersion"/>.
/// <see cref="SentAt"/> is the node's clock when it pushed (gateways measure the clock offset from it);
/// <see cref="Leaving"/> marks the last delta of a node stopped on purpose.
/// A gateway that holds the node at <see cref="FromVersion"/> or later can merge it; one that holds less has missed
/// a delta (a gap) and pulls the full snapshot instead, as does one that holds other definitions (<see cref="DefinitionsVersion"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("brummer.node-delta")]
public sealed record NodeDelta(
    [property: Id(0)] string Node,
    [property: Id(1)] long Incarnation,
    [property: Id(2)] long FromVersion,
    [property: Id(3)] long ToVersion,
    [property: Id(4)] DateTimeOffset AsOf,
    [property: Id(5)] ImmutableArray<ProcessInfo> Processes,
    [property: Id(6)] DateTimeOffset SentAt = default,
    [property: Id(7)] bool Leaving = false,
    [property: Id(8)] long DefinitionsVersion = 0)
{
    /// <summary>The changes of <paramref name="snapshot"/> since <paramref name="fromVersion"/>, stamped with the node's clock.</summary>
    public static NodeDelta Since(NodeSnapshot snapshot, long fromVersion, DateTimeOffset sentAt, bool leaving = false)
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

        return new NodeDelta(snapshot.Node, snapshot.Incarnation, fromVersion, snapshot.Version, snapshot.AsOf, changed.ToImmutable(), sentAt, leaving, snapshot.DefinitionsVersion);
    }
}
