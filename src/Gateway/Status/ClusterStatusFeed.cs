using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Brummer.Gateway.Status;

/// <summary>
/// Keeps the <see cref="ClusterStatusCache"/> fed: subscribes the gateway's observer to every live node, pulls a
/// full snapshot from each, and repeats on <see cref="GatewayOptions.ResyncInterval"/> as a safety net for lost pushes
/// and expiring subscriptions.
/// </summary>
internal sealed class ClusterStatusFeed(
    IClusterClient client,
    ClusterStatusCache cache,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<ClusterStatusFeed> logger) : BackgroundService
{
    private readonly TaskCompletionSource _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private StatusObserver? _observer; // Held strongly: object references are weak.
    private IStatusObserver? _reference;

    /// <summary>Completes once every node known at startup has been read once.</summary>
    public Task FirstSync => _firstSync.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _observer = new StatusObserver(cache);
        _reference = client.CreateObjectReference<IStatusObserver>(_observer);
        using var timer = new PeriodicTimer(options.Value.ResyncInterval, time);
        do
        {
            try
            {
                await ResyncAsync(stoppingToken);
                _firstSync.TrySetResult();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Resync with the cluster failed; retrying in {Interval}", options.Value.ResyncInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public async Task ResyncAsync(CancellationToken cancellationToken)
    {
        var management = client.GetGrain<IManagementGrain>(0);
        var hosts = await management.GetDetailedHosts(onlyActive: true, cancellationToken);
        await Task.WhenAll(hosts.Select(h => SyncNodeAsync(h.SiloName, cancellationToken)));
    }

    private async Task SyncNodeAsync(string node, CancellationToken cancellationToken)
    {
        try
        {
            var grain = client.GetGrain<INodeGrain>(node);
            await grain.SubscribeAsync(_reference!).WaitAsync(cancellationToken);
            cache.Apply(await grain.GetSnapshotAsync().WaitAsync(cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not read node {Node}", node);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _firstSync.TrySetCanceled(cancellationToken);
        await base.StopAsync(cancellationToken);
        if (_reference is not null)
        {
            client.DeleteObjectReference<IStatusObserver>(_reference);
        }
    }
}
