using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Status;

/// <summary>Receives pushed node snapshots and applies them to the cache.</summary>
internal sealed class StatusObserver(ClusterStatusCache cache) : IStatusObserver
{
    public Task OnSnapshotAsync(NodeSnapshot snapshot)
    {
        cache.Apply(snapshot);
        return Task.CompletedTask;
    }
}
