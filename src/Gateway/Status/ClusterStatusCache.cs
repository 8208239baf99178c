using System.Collections.Immutable;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Status;

/// <summary>What the cache made of a pushed delta.</summary>
public enum DeltaOutcome
{
    /// <summary>Merged into the node's view.</summary>
    Applied,

    /// <summary>Nothing new (already seen, or about a run of the node that is over).</summary>
    Stale,

    /// <summary>The gateway has missed something (or never saw this run of the node): pull the full snapshot.</summary>
    Gap,
}

/// <summary>
/// The gateway's lock-free cluster-wide status: nodes push changes in, requests read <see cref="Current"/> with one
/// volatile load and no grain call. Writers (pushes, resyncs, control results, membership) serialize on a lock and
/// publish a new view. Every process view carries the version it was published at, so an older message never
/// overwrites a newer one; a node's incarnation tells its runs apart, so a restarted node is never taken for an old one.
/// </summary>
public sealed class ClusterStatusCache(TimeProvider time)
{
    private readonly Lock _writeGate = new();
    private ClusterView _current = ClusterView.Empty;
    private string? _membershipDegraded;
    private TaskCompletionSource? _nextView;

    public ClusterView Current => Volatile.Read(ref _current);

    /// <summary>
    /// Completes when the next view is published (any change a delta, snapshot, control result or loss brought). Take
    /// it before reading <see cref="Current"/>, so no change falls between the read and the wait. Waiters share one
    /// task per view; nothing is allocated while nobody waits, so reads and writes without waiters cost what they did.
    /// </summary>
    public Task WhenChanged()
    {
        var next = Volatile.Read(ref _nextView);
        if (next is null)
        {
            // Continuations run on the pool, never inline in the writer holding the write lock.
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            next = Interlocked.CompareExchange(ref _nextView, created, null) ?? created;
        }

        return next.Task;
    }

    /// <summary>
    /// Why the cluster's membership store is degraded, as the node answering this gateway's membership poll last said;
    /// null when it is healthy. Until it is repaired, a node that dies may not be reported lost.
    /// </summary>
    public string? MembershipDegraded => Volatile.Read(ref _membershipDegraded);

    /// <summary>Records what a membership poll said of the store; returns what was recorded before.</summary>
    public string? RecordMembership(string? degraded) => Interlocked.Exchange(ref _membershipDegraded, degraded);

    /// <summary>Applies a full node snapshot; ignored if not newer than what the gateway holds of that run of the node.</summary>
    public bool Apply(NodeSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return Update(snapshot.Node, existing =>
        {
            if (existing is null || existing.Incarnation != snapshot.Incarnation)
            {
                // A new node, or another run of it: a snapshot is pulled from the node's current run, so its state
                // replaces whatever (lost) view the gateway had. Incarnations are compared for equality only: they
                // come from the node's clock, and clocks of different machines (or a stepped clock) do not order runs.
                return NodeView.From(snapshot, time.GetUtcNow());
            }

            if (existing.IsLost || existing.HasLeft)
            {
                return null;
            }

            if (existing.Version >= snapshot.Version)
            {
                existing.Heard(time.GetUtcNow());
                return null;
            }

            if (existing.DefinitionsVersion != snapshot.DefinitionsVersion)
            {
                // Reloaded: scripts may be gone, which a merge would keep; the snapshot is the whole truth.
                return NodeView.From(snapshot, time.GetUtcNow(), existing.Clock);
            }

            return existing.With(snapshot.Version, Merge(snapshot.Processes, existing.Processes), time.GetUtcNow());
        });
    }

    /// <summary>Merges a pushed delta, or reports the gap that makes it unusable.</summary>
    public DeltaOutcome Apply(NodeDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        var outcome = DeltaOutcome.Applied;
        Update(delta.Node, existing =>
        {
            if (existing is null || existing.Incarnation != delta.Incarnation)
            {
                // Never seen this run: only a full snapshot (with its scripts) can start it. A late delta of a run that
                // is over costs one needless pull, which returns the current run.
                outcome = DeltaOutcome.Gap;
                return null;
            }

            if (existing.IsLost || existing.HasLeft)
            {
                outcome = DeltaOutcome.Stale;
                return null;
            }

            var now = time.GetUtcNow();
            existing.Clock.Measured(now, delta.SentAt);
            if (delta.Leaving)
            {
                // The goodbye: its processes as they ended, whether or not anything changed since the last push. Even
                // after a gap: the node is going, there is nothing left to pull, and its final pushes are newest.
                return existing.AsLeft(Math.Max(delta.ToVersion, existing.Version), Merge(delta.Processes, existing.Processes), now);
            }

            if (delta.ToVersion > existing.Version && (delta.FromVersion > existing.Version || delta.DefinitionsVersion != existing.DefinitionsVersion))
            {
                outcome = DeltaOutcome.Gap;
                return null;
            }

            if (delta.ToVersion <= existing.Version)
            {
                // A heartbeat (or a late delta): nothing new, but the node is alive.
                existing.Heard(now);
                outcome = DeltaOutcome.Stale;
                return null;
            }

            return existing.With(delta.ToVersion, Merge(delta.Processes, existing.Processes), now);
        });
        return outcome;
    }

    /// <summary>Applies one process view returned by a control call (read-your-writes before the push arrives).</summary>
    public void Apply(ProcessInfo process)
    {
        ArgumentNullException.ThrowIfNull(process);
        Update(process.Node, existing => existing is { IsLost: false, HasLeft: false }
            ? existing.With(existing.Version, Merge([process], existing.Processes), existing.ReceivedAt)
            : null);
    }

    /// <summary>
    /// Marks a node and its processes lost (membership declared it dead); false if unknown, already lost, or if it
    /// left on purpose — a node that said goodbye is dead to membership too, but it was not lost.
    /// </summary>
    public bool MarkLost(string node) =>
        Update(node, existing => existing is { IsLost: false, HasLeft: false } ? existing.AsLost() : null);

    /// <summary>Replaces one node's view, under the write lock; <paramref name="next"/> returns null to change nothing.</summary>
    private bool Update(string node, Func<NodeView?, NodeView?> next)
    {
        TaskCompletionSource? changed;
        lock (_writeGate)
        {
            var current = _current;
            if (next(current.Find(node)) is not { } view)
            {
                return false;
            }

            Volatile.Write(ref _current, Replace(current, view));
            // After the write: a waiter that registers from here on reads the new view anyway.
            changed = Interlocked.Exchange(ref _nextView, null);
        }

        // Outside the lock: waking many waiters takes time the next writer should not wait for.
        changed?.TrySetResult();
        return true;
    }

    /// <summary>Union by script name keeping the newer version of each; ordered by name.</summary>
    private static ImmutableArray<ProcessInfo> Merge(ImmutableArray<ProcessInfo> incoming, ImmutableArray<ProcessInfo> existing)
    {
        var byName = new SortedDictionary<string, ProcessInfo>(StringComparer.Ordinal);
        foreach (var process in existing)
        {
            byName[process.Name] = process;
        }

        foreach (var process in incoming)
        {
            if (!byName.TryGetValue(process.Name, out var known) || known.Version <= process.Version)
            {
                byName[process.Name] = process;
            }
        }

        return [.. byName.Values];
    }

    private ClusterView Replace(ClusterView current, NodeView node)
    {
        var nodes = current.Nodes.RemoveAll(n => string.Equals(n.Name, node.Name, StringComparison.Ordinal))
            .Add(node)
            .Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new ClusterView(nodes, time.GetUtcNow());
    }
}
