using System.Collections.Concurrent;
using Brummer.Gateway.Nodes;
using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Status;

/// <summary>
/// Keeps the <see cref="ClusterStatusCache"/> fed. It long-polls the cluster membership (answered by the silo this
/// gateway is connected to, never by the node in question); subscribes its observer to every active node and pulls
/// a full snapshot when a node appears, rejoins or reports a gap; marks nodes lost when membership declares them dead;
/// and re-pulls every node on <see cref="GatewayOptions.ResyncInterval"/> as a safety net (which also renews the
/// subscriptions, since they expire).
/// </summary>
internal sealed class ClusterStatusFeed(
    NodeClients nodes,
    ClusterStatusCache cache,
    GatewayMetrics metrics,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<ClusterStatusFeed> logger) : BackgroundService
{
    private readonly TaskCompletionSource _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, byte> _syncing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _subscribed = new(StringComparer.Ordinal); // node → silo address@generation
    private readonly ConcurrentDictionary<string, IStatusObserver> _references = new(StringComparer.Ordinal); // node → the reference it pushes to
    private StatusObserver? _observer; // Held strongly: object references are weak.
    private CancellationToken _stopping;
    private bool _outOfContact;

    /// <summary>Completes once every node active at startup has been read once.</summary>
    public Task FirstSync => _firstSync.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        _observer = new StatusObserver(cache, metrics, time, RequestResync, Left);
        nodes.Register(_observer);
        // A node's own connection is up: move its subscription there, so its pushes no longer pass through another node.
        nodes.Connected += node => StartSync(node, identity: null, "direct");
        // Pushes stopped coming over the node's push connection: subscribe through Orleans again, and pull what was missed.
        nodes.PushLost += node =>
        {
            if (StartSync(node, identity: null, "push lost") is null)
            {
                _ = RenewAsync(node); // a pull already running may have seen the push connection still up
            }
        };
        var settings = options.Value;
        var attempt = 0;
        var knownVersion = -1L;
        var lastFullSync = DateTimeOffset.MinValue;
        var lastRenewal = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Bounded on this side too: a poll parked on a silo that dies meanwhile would otherwise wait for the
                // 30 s response timeout before this gateway noticed anything.
                var members = await nodes.Membership(attempt).WatchAsync(knownVersion, settings.MembershipWait)
                    .WaitAsync(settings.MembershipWait + settings.RetryDelay, time, stoppingToken);
                knownVersion = members.Version;
                RecordMembership(members.Degraded);
                if (_outOfContact)
                {
                    _outOfContact = false;
                    logger.LogInformation("Back in contact with the cluster");
                }

                var now = time.GetUtcNow();
                var full = now - lastFullSync >= settings.ResyncInterval;
                // Subscriptions lapse on the node unless renewed, however long the resync interval is.
                var renew = !full && now - lastRenewal >= StatusSubscription.RenewEvery;
                await ReconcileAsync(members, full, stoppingToken);
                if (renew)
                {
                    RenewSubscriptions(members);
                }

                if (full || renew)
                {
                    lastRenewal = now;
                }

                if (full)
                {
                    lastFullSync = now;
                }

                _firstSync.TrySetResult();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (TimeoutException)
            {
                attempt++;
                logger.LogDebug("A membership poll went unanswered; asking again through another silo");
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Every silo unreachable (e.g. the last node died): nobody can declare anything dead, so nodes
                // silent for longer than the limit are reported lost by this gateway itself.
                if (!_outOfContact)
                {
                    _outOfContact = true;
                    logger.LogWarning("Lost contact with the cluster ({Reason}); retrying every {Delay}", ex.Message, settings.RetryDelay);
                }

                MarkSilentNodesLost(settings.SilenceLimit);
                knownVersion = -1;
                await Task.Delay(settings.RetryDelay, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private void RecordMembership(string? degraded)
    {
        var previous = cache.RecordMembership(degraded);
        if (degraded is not null && !string.Equals(previous, degraded, StringComparison.Ordinal))
        {
            logger.LogWarning("The cluster's membership is degraded: {Reason}", degraded);
        }
        else if (degraded is null && previous is not null)
        {
            logger.LogInformation("The cluster's membership is healthy again");
        }
    }

    private void MarkSilentNodesLost(TimeSpan limit)
    {
        var cutoff = time.GetUtcNow() - limit;
        foreach (var node in cache.Current.Nodes)
        {
            if (!node.IsLost && node.ReceivedAt < cutoff && cache.MarkLost(node.Name))
            {
                nodes.Forget(node.Name);
                metrics.NodeLost();
                logger.LogWarning("Node {Node} is lost: silent for over {Limit} and no node of the cluster answers", node.Name, limit);
            }
        }
    }

    private async Task ReconcileAsync(ClusterMembers members, bool full, CancellationToken cancellationToken)
    {
        var active = new Dictionary<string, ClusterMember>(StringComparer.Ordinal);
        foreach (var member in members.Members)
        {
            // A restarted node may briefly appear twice (old run not yet declared dead): the newest generation wins.
            if (member.IsActive && (!active.TryGetValue(member.Node, out var seen) || seen.Generation < member.Generation))
            {
                active[member.Node] = member;
            }
        }

        foreach (var node in cache.Current.Nodes)
        {
            if (!node.IsLost && !active.ContainsKey(node.Name) && cache.MarkLost(node.Name))
            {
                lock (_subscribed)
                {
                    _subscribed.Remove(node.Name);
                }

                nodes.Forget(node.Name);
                _references.TryRemove(node.Name, out _);
                metrics.NodeLost();
                logger.LogWarning("Node {Node} is lost: the cluster declared it dead; its processes are marked lost", node.Name);
            }
        }

        var syncs = new List<Task>();
        foreach (var (node, member) in active)
        {
            var identity = $"{member.Address}@{member.Generation}";
            bool known;
            lock (_subscribed)
            {
                known = _subscribed.TryGetValue(node, out var subscribed) && subscribed == identity;
            }

            if ((full || !known) && StartSync(node, identity, known ? "periodic" : "join") is { } sync)
            {
                syncs.Add(sync);
            }
        }

        // The first round completes FirstSync, so it is awaited; later ones run on their own, so a node that hangs
        // (not yet declared dead) never delays noticing the next membership change.
        if (!_firstSync.Task.IsCompleted)
        {
            await Task.WhenAll(syncs).WaitAsync(cancellationToken);
        }
    }

    private void RenewSubscriptions(ClusterMembers members)
    {
        foreach (var node in members.Members.Where(m => m.IsActive).Select(m => m.Node).Distinct(StringComparer.Ordinal))
        {
            _ = RenewAsync(node);
        }
    }

    private async Task RenewAsync(string node)
    {
        if (nodes.PushesDirectly(node))
        {
            return;
        }

        try
        {
            var grain = nodes.For(node).GetGrain<INodeGrain>(node);
            var reference = nodes.ObserverFor(node);
            await grain.SubscribeAsync(reference).WaitAsync(options.Value.CallTimeout, time, _stopping);
            Subscribed(node, grain, reference, _stopping);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogDebug(ex, "Renewing the subscription to node {Node} failed; the next renewal or resync retries", node);
        }
    }

    /// <summary>
    /// Notes the reference <paramref name="node"/> now pushes to, so that a push connection opening later (or the
    /// gateway stopping) unsubscribes it; a different reference noted before is unsubscribed now.
    /// </summary>
    private void Subscribed(string node, INodeGrain grain, IStatusObserver reference, CancellationToken cancellationToken)
    {
        var previous = _references.GetValueOrDefault(node);
        _references[node] = reference;
        if (previous is not null && !ReferenceEquals(previous, reference))
        {
            // Moved to the node's own connection: the old reference would only get every push a second time.
            _ = grain.UnsubscribeAsync(previous).WaitAsync(options.Value.CallTimeout, time, cancellationToken);
        }
    }

    /// <summary>Subscribes to and pulls one node, unless a pull of it is already running; null if one is.</summary>
    private Task? StartSync(string node, string? identity, string reason)
    {
        if (!_syncing.TryAdd(node, 0))
        {
            return null;
        }

        metrics.Pull(reason);
        return Task.Run(async () =>
        {
            try
            {
                if (await SyncNodeAsync(node, _stopping) && identity is not null)
                {
                    lock (_subscribed)
                    {
                        _subscribed[node] = identity;
                    }
                }
            }
            finally
            {
                _syncing.TryRemove(node, out _);
            }
        });
    }

    /// <summary>A pushed delta showed a gap: pull that node's full snapshot (one pull at a time per node).</summary>
    private void RequestResync(string node) => StartSync(node, identity: null, "gap");

    /// <summary>The node said goodbye: nothing more will come from it, so its connection and subscription go.</summary>
    private void Left(string node)
    {
        lock (_subscribed)
        {
            _subscribed.Remove(node);
        }

        _references.TryRemove(node, out _);
        nodes.Forget(node);
        logger.LogInformation("Node {Node} left the cluster; its processes keep their final state", node);
    }

    private async Task<bool> SyncNodeAsync(string node, CancellationToken cancellationToken)
    {
        try
        {
            var grain = nodes.For(node).GetGrain<INodeGrain>(node);
            var timeout = options.Value.CallTimeout;
            if (nodes.PushesDirectly(node))
            {
                // The push connection is subscribed for as long as it is open: an Orleans subscription would double every push.
                if (_references.TryRemove(node, out var previous))
                {
                    _ = grain.UnsubscribeAsync(previous).WaitAsync(timeout, time, cancellationToken);
                }
            }
            else
            {
                var reference = nodes.ObserverFor(node);
                await grain.SubscribeAsync(reference).WaitAsync(timeout, time, cancellationToken);
                Subscribed(node, grain, reference, cancellationToken);
            }

            var snapshot = await grain.GetSnapshotAsync().WaitAsync(timeout, time, cancellationToken);
            cache.Apply(snapshot);
            nodes.Learned(node, snapshot.Incarnation, snapshot.GatewayEndpoint, snapshot.PushEndpoint);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            logger.LogWarning(ex, "Could not read node {Node}", node);
            return false;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _firstSync.TrySetCanceled(cancellationToken);
        await base.StopAsync(cancellationToken);
        if (_observer is not null)
        {
            await UnsubscribeAllAsync(cancellationToken);
            await nodes.CloseAsync();
        }
    }

    /// <summary>
    /// Tells every node this gateway subscribed to that it is leaving. Otherwise nodes go on pushing (on `brummer up`,
    /// the deltas of the scripts being stopped) to a reference that no longer exists, which Orleans logs as a warning.
    /// Best effort and brief: a node that is gone must not hold up shutdown; its subscription expires anyway.
    /// </summary>
    private async Task UnsubscribeAllAsync(CancellationToken cancellationToken)
    {
        var limit = options.Value.CallTimeout < TimeSpan.FromSeconds(1) ? options.Value.CallTimeout : TimeSpan.FromSeconds(1);
        await Task.WhenAll(_references.Select(async subscription =>
        {
            var (node, reference) = (subscription.Key, subscription.Value);
            try
            {
                await nodes.For(node).GetGrain<INodeGrain>(node).UnsubscribeAsync(reference).WaitAsync(limit, time, cancellationToken);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogDebug(ex, "Could not unsubscribe from node {Node} while stopping", node);
            }
        }));
    }
}
