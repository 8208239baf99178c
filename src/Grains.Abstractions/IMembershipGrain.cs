using System.Collections.Immutable;

namespace Brummer.Grains.Abstractions;

/// <summary>
/// The cluster's membership as the silo a client is connected to sees it. A stateless worker: every call is answered
/// by the silo that receives it, so a gateway can learn that a node died without ever calling the dead node.
/// </summary>
[Alias("brummer.membership")]
public interface IMembershipGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Returns the membership as soon as its version is above <paramref name="knownVersion"/>, or the current one after
    /// <paramref name="maxWait"/> (a long poll: changes arrive without polling delay, quiet clusters cost one call per wait).
    /// </summary>
    [Alias("watch")]
    Task<ClusterMembers> WatchAsync(long knownVersion, TimeSpan maxWait);
}

/// <summary>
/// One version of the cluster membership, and whether the store behind it is healthy: <paramref name="Degraded"/> says
/// why it is not (its data vanished and is being restored, or it cannot be read), null when it is. Until it is
/// healthy again, a node that dies may not be declared dead.
/// </summary>
[GenerateSerializer, Immutable, Alias("brummer.cluster-members")]
public sealed record ClusterMembers(
    [property: Id(0)] long Version,
    [property: Id(1)] ImmutableArray<ClusterMember> Members,
    [property: Id(2)] string? Degraded = null);

/// <summary>A silo in the membership table: a node's name, its address and generation, and whether it is active.</summary>
[GenerateSerializer, Immutable, Alias("brummer.cluster-member")]
public sealed record ClusterMember(
    [property: Id(0)] string Node,
    [property: Id(1)] string Address,
    [property: Id(2)] int Generation,
    [property: Id(3)] bool IsActive);
