namespace Brummer.Silo.Membership;

/// <summary>
/// Whether this node can rely on the cluster's membership store right now. <see cref="MembershipTableRepair"/> writes
/// it; <see cref="MembershipGrain"/> hands it to every gateway's membership poll, so <c>nodes_list</c> can say so.
/// </summary>
public sealed class MembershipStoreHealth
{
    private string? _degraded;

    /// <summary>Why the store is degraded (its data vanished, or it cannot be read); null when it is healthy.</summary>
    public string? Degraded => Volatile.Read(ref _degraded);

    /// <summary>Records the store's state; returns the previous one.</summary>
    internal string? Set(string? degraded) => Interlocked.Exchange(ref _degraded, degraded);
}
