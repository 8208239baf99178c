using Brummer.Grains.Abstractions;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Brummer.Silo.Membership;

/// <summary>
/// Answers membership questions from the local silo's view, with the state of the membership store as this node
/// sees it; reentrant so that long polls never queue each other. A silo whose membership lives in no external store
/// (<c>brummer up</c>, dev clustering, in-process test clusters) has no <see cref="MembershipStoreHealth"/>: healthy.
/// </summary>
[StatelessWorker(1), Reentrant]
public sealed class MembershipGrain(IClusterMembershipService membership, MembershipStoreHealth? store = null) : Grain, IMembershipGrain
{
    public async Task<ClusterMembers> WatchAsync(long knownVersion, TimeSpan maxWait)
    {
        var current = membership.CurrentSnapshot;
        if (current.Version.Value > knownVersion || maxWait <= TimeSpan.Zero)
        {
            return From(current);
        }

        using var timeout = new CancellationTokenSource(maxWait);
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(timeout.Token))
            {
                if (snapshot.Version.Value > knownVersion)
                {
                    return From(snapshot);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // No change within maxWait: answer with the current view.
        }

        return From(membership.CurrentSnapshot);
    }

    private ClusterMembers From(ClusterMembershipSnapshot snapshot) => new(
        snapshot.Version.Value,
        [.. snapshot.Members.Values.Select(m => new Grains.Abstractions.ClusterMember(
            m.Name,
            m.SiloAddress.Endpoint.ToString(),
            m.SiloAddress.Generation,
            m.Status == SiloStatus.Active))],
        store?.Degraded);
}
