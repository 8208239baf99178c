using Brummer.Grains.Abstractions;
using Brummer.Grains.Placement;
using Brummer.Grains.Status;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains;

/// <summary>A node's status feed: snapshots on request, and subscriptions for pushed snapshots.</summary>
[NodePinnedPlacement]
public sealed class NodeGrain(NodeStatusTable table, StatusSubscriptions subscriptions, ILogger<NodeGrain> logger) : Grain, INodeGrain
{
    public Task PushAsync()
    {
        var snapshot = table.Snapshot;
        foreach (var observer in subscriptions.Live())
        {
            try
            {
                // One-way: a slow or dead gateway never holds up the node.
                _ = observer.OnSnapshotAsync(snapshot);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogDebug(ex, "Pushing snapshot {Version} to an observer failed", snapshot.Version);
            }
        }

        return Task.CompletedTask;
    }

    public Task<NodeSnapshot> GetSnapshotAsync() => Task.FromResult(table.Snapshot);

    public Task SubscribeAsync(IStatusObserver observer)
    {
        subscriptions.Subscribe(observer);
        return Task.CompletedTask;
    }

    public Task UnsubscribeAsync(IStatusObserver observer)
    {
        subscriptions.Unsubscribe(observer);
        return Task.CompletedTask;
    }
}
