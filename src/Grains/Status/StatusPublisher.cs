using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Status;

/// <summary>
/// Pushes the node's snapshot to every subscribed gateway whenever the status table changes. Bursts of changes
/// coalesce into one push of the newest snapshot, so a churning node never queues stale work.
/// </summary>
public sealed class StatusPublisher(NodeStatusTable table, StatusSubscriptions subscriptions, ILogger<StatusPublisher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await table.WaitForChangeAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Push(table.Snapshot);
        }
    }

    private void Push(NodeSnapshot snapshot)
    {
        foreach (var observer in subscriptions.Live())
        {
            try
            {
                // One-way call: a slow or dead gateway never holds up the node.
                _ = observer.OnSnapshotAsync(snapshot);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogDebug(ex, "Pushing snapshot {Version} to an observer failed", snapshot.Version);
            }
        }
    }
}
