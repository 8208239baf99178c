using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;

namespace Brummer.Grains;

/// <summary>A node's status feed: snapshots on request, and subscriptions for pushed snapshots.</summary>
public sealed class NodeGrain(NodeStatusTable table, StatusSubscriptions subscriptions) : Grain, INodeGrain
{
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
