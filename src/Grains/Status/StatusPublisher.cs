using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Status;

/// <summary>
/// Asks the node grain to push the node's snapshot to its subscribers whenever the status table changes.
/// Bursts of changes coalesce into one push of the newest snapshot, so a churning node never queues stale work.
/// The push itself goes out from the grain: observers are notified from grain context, the Orleans pattern.
/// A quiet node pushes an empty delta every <see cref="HeartbeatInterval"/>, so gateways can tell quiet from stuck.
/// </summary>
public sealed class StatusPublisher(NodeStatusTable table, IGrainFactory grains, ILogger<StatusPublisher> logger) : BackgroundService
{
    public static TimeSpan HeartbeatInterval => StatusSubscription.Heartbeat;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var node = grains.GetGrain<INodeGrain>(table.Node);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using (var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    heartbeat.CancelAfter(HeartbeatInterval);
                    try
                    {
                        await table.WaitForChangeAsync(heartbeat.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        // Nothing changed for a while: push anyway, as a heartbeat.
                    }
                }

                await node.PushAsync();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogWarning(ex, "Pushing node {Node}'s status failed; gateways catch up at their next resync", table.Node);
            }
        }
    }
}
