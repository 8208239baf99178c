using System.Collections.Concurrent;
using System.Collections.Frozen;
using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Processes;

/// <summary>
/// What this node knows of processes on other nodes it depends on, from their pushed status: it subscribes to each
/// followed node's feed (as gateways do) and long-polls the membership, so a node that joins, restarts or leaves is
/// (re)subscribed or forgotten as soon as the cluster knows. Nothing here asks a node for a process's state in a loop.
/// </summary>
internal sealed class RemoteProcesses(IGrainFactory grains, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<RemoteProcesses> logger)
    : BackgroundService, IRemoteProcesses, IStatusObserver
{
    private static readonly TimeSpan MembershipWait = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan UnsubscribeLimit = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Followed> _nodes = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _nextChange = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FrozenDictionary<string, ClusterMember> _members = FrozenDictionary<string, ClusterMember>.Empty;
    private IStatusObserver? _reference;
    private volatile bool _stopping;

    public Task NextChange => Volatile.Read(ref _nextChange).Task;

    public void Follow(string node)
    {
        if (_nodes.TryAdd(node, new Followed()))
        {
            _ = SubscribeAsync(node);
        }
    }

    public ProcessInfo? Get(string node, string name, out string? unknownBecause)
    {
        unknownBecause = null;
        if (!_nodes.TryGetValue(node, out var followed) || Volatile.Read(ref followed.Snapshot) is not { } snapshot)
        {
            unknownBecause = _members.ContainsKey(node) ? $"node '{node}' not heard from yet" : $"node '{node}' is not in the cluster";
            return null;
        }

        if (followed.Left)
        {
            unknownBecause = $"node '{node}' left the cluster";
            return null;
        }

        if (!snapshot.Scripts.Any(s => s.Name == name))
        {
            unknownBecause = $"node '{node}' has no process '{name}'";
            return null;
        }

        var process = snapshot.Processes.FirstOrDefault(p => p.Name == name);
        // Declared dead by the cluster: its last known state no longer holds.
        return process is not null && !_members.ContainsKey(node) ? process with { Status = ProcessStatus.Lost } : process;
    }

    protected override async Task ExecuteAsync(CancellationToken serviceStopping)
    {
        // From the first moment of the host's shutdown, not only this service's: the silo starts shutting down before
        // this service is stopped, and a long-poll sent then fails, logged as an error on every clean exit.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(serviceStopping, lifetime.ApplicationStopping);
        var stoppingToken = stopping.Token;
        var known = -1L;
        var renewed = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Not before: the silo may still be starting when this service does.
                _reference ??= grains.CreateObjectReference<IStatusObserver>(this);
                _started.TrySetResult();
                var members = await grains.GetGrain<IMembershipGrain>(0).WatchAsync(known, MembershipWait).WaitAsync(stoppingToken).ConfigureAwait(false);
                var changed = members.Version != known;
                known = members.Version;
                Volatile.Write(ref _members, members.Members.Where(m => m.IsActive).ToFrozenDictionary(m => m.Node, StringComparer.Ordinal));
                var renew = time.GetUtcNow() - renewed >= StatusSubscription.RenewEvery;
                if (changed || renew)
                {
                    renewed = time.GetUtcNow();
                    foreach (var node in _nodes.Keys)
                    {
                        _ = SubscribeAsync(node);
                    }

                    Changed();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogDebug(ex, "Watching the membership for followed nodes failed; retrying");
                await Task.Delay(RetryDelay, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Subscribes to a followed node that is in the cluster and pulls its snapshot; a node not there yet waits for the membership.</summary>
    private async Task SubscribeAsync(string node)
    {
        await _started.Task.ConfigureAwait(false);
        if (_stopping || !_members.ContainsKey(node) || !_nodes.TryGetValue(node, out var followed))
        {
            return;
        }

        try
        {
            var feed = grains.GetGrain<INodeGrain>(node);
            await feed.SubscribeAsync(_reference!).ConfigureAwait(false);
            Apply(followed, await feed.GetSnapshotAsync().ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogDebug(ex, "Following node {Node} failed; the next membership change retries", node);
        }
    }

    /// <summary>
    /// Tells every followed node that this one is going, as gateways do. Otherwise they go on pushing to an observer
    /// that no longer exists until the subscription expires (a minute of heartbeats), and Orleans logs each push
    /// there with a stack trace on the node that stays. Best effort and brief: a node that is gone must not hold up
    /// the exit. Hosted services stop in reverse order, so the silo still serves calls here.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_reference is not { } reference)
        {
            return;
        }

        await Task.WhenAll(_nodes.Keys.Where(_members.ContainsKey).Select(async node =>
        {
            try
            {
                await grains.GetGrain<INodeGrain>(node).UnsubscribeAsync(reference).WaitAsync(UnsubscribeLimit, time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogDebug(ex, "Could not unsubscribe from node {Node} while stopping", node);
            }
        })).ConfigureAwait(false);
    }

    public Task OnChangesAsync(NodeDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (!_nodes.TryGetValue(delta.Node, out var followed))
        {
            return Task.CompletedTask;
        }

        lock (followed)
        {
            var snapshot = followed.Snapshot;
            if (snapshot is null || snapshot.Incarnation != delta.Incarnation || snapshot.DefinitionsVersion != delta.DefinitionsVersion || delta.FromVersion > snapshot.Version)
            {
                _ = SubscribeAsync(delta.Node); // missed something: pull the whole snapshot
                return Task.CompletedTask;
            }

            if (delta.ToVersion <= snapshot.Version)
            {
                return Task.CompletedTask; // a heartbeat
            }

            var processes = snapshot.Processes.ToDictionary(p => p.Name, StringComparer.Ordinal);
            foreach (var process in delta.Processes)
            {
                processes[process.Name] = process;
            }

            followed.Snapshot = snapshot with { Version = delta.ToVersion, Processes = [.. processes.Values] };
            followed.Left = delta.Leaving;
        }

        Changed();
        return Task.CompletedTask;
    }

    public Task OnLeavingAsync(NodeDelta delta) => OnChangesAsync(delta);

    private void Apply(Followed followed, NodeSnapshot snapshot)
    {
        lock (followed)
        {
            if (followed.Snapshot is { } known && known.Incarnation == snapshot.Incarnation && known.Version >= snapshot.Version)
            {
                return;
            }

            followed.Snapshot = snapshot;
            followed.Left = false;
        }

        Changed();
    }

    private void Changed() => Interlocked.Exchange(ref _nextChange, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private sealed class Followed
    {
        public NodeSnapshot? Snapshot;
        public bool Left;
    }
}
