using Brummer.Grains.Abstractions;
using Brummer.Grains.Placement;
using Brummer.Grains.Processes;
using Brummer.Grains.Status;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains;

/// <summary>A node's status feed: snapshots on request, and subscriptions for pushed changes.</summary>
[NodePinnedPlacement]
public sealed class NodeGrain(NodeStatusTable table, StatusSubscriptions subscriptions, DefinitionsReload reload, TimeProvider time, ILogger<NodeGrain> logger, NodeAudit audit) : Grain, INodeGrain
{
    // Starts at 0 on every activation, so the first push after a reactivation carries every process: a full view.
    private long _pushedVersion;

    // Set by the goodbye: gateways have the final state, and the silo is going down, where a push only fails (loudly).
    private bool _left;

    public Task PushAsync()
    {
        if (_left)
        {
            return Task.CompletedTask;
        }

        // Unchanged since the last push: an empty delta, which gateways take as a heartbeat.
        var snapshot = table.Snapshot;
        var delta = NodeDelta.Since(snapshot, _pushedVersion, time.GetUtcNow());
        _pushedVersion = snapshot.Version;
        foreach (var observer in subscriptions.Live())
        {
            try
            {
                // One-way: a slow or dead gateway never holds up the node; one that misses a delta sees the gap.
                _ = observer.OnChangesAsync(delta);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogDebug(ex, "Pushing changes {From}..{To} to an observer failed", delta.FromVersion, delta.ToVersion);
            }
        }

        return Task.CompletedTask;
    }

    public async Task LeaveAsync()
    {
        _left = true;
        var snapshot = table.Snapshot;
        // Every process, not only those changed since the last push: that push is one-way and may still be in flight
        // (or lost), and a gateway drops whatever arrives after the goodbye as stale.
        var farewell = NodeDelta.Since(snapshot, fromVersion: 0, time.GetUtcNow(), leaving: true);
        _pushedVersion = snapshot.Version;
        await Task.WhenAll(subscriptions.Live().Select(async observer =>
        {
            try
            {
                await observer.OnLeavingAsync(farewell).WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogDebug(ex, "An observer did not take node {Node}'s goodbye", table.Node);
            }
        }));
    }

    public Task<NodeSnapshot> GetSnapshotAsync() => Task.FromResult(table.Snapshot);

    public async Task<ReloadResult> ReloadAsync()
    {
        var at = time.GetUtcNow();
        var by = Orleans.Runtime.RequestContext.Get(ControlActor.Key) as string ?? ControlActor.Node;
        try
        {
            var result = await reload.ReloadAsync();
            audit.Record(new AuditEntry(at, by, "reload", table.Node, null, result.Error is null ? "ok" : $"refused: {result.Error}"));
            return result;
        }
        catch (Exception ex)
        {
            audit.Record(new AuditEntry(at, by, "reload", table.Node, null, $"failed: {ex.Message}"));
            throw;
        }
    }

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
