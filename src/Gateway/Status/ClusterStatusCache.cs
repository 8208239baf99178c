using System.Collections.Immutable;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Status;

/// <summary>
/// The gateway's lock-free cluster-wide status: nodes push snapshots in, requests read <see cref="Current"/> with one
/// volatile load and no grain call. Writers (pushes, control results) serialize on a lock and publish a new view.
/// Every process view carries the version it was published at, so an older push never overwrites a newer result.
/// </summary>
public sealed class ClusterStatusCache(TimeProvider time)
{
    private readonly Lock _writeGate = new();
    private ClusterView _current = ClusterView.Empty;

    public ClusterView Current => Volatile.Read(ref _current);

    /// <summary>Applies a node snapshot; ignored if not newer than what the gateway already has of that node.</summary>
    public bool Apply(NodeSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return Update(current =>
        {
            var existing = current.Find(snapshot.Node);
            if (existing is not null && existing.Snapshot.Version > snapshot.Version)
            {
                return null;
            }

            var processes = existing is null ? snapshot.Processes : Merge(snapshot.Processes, existing.Processes);
            return new NodeView(snapshot, processes, time.GetUtcNow());
        });
    }

    /// <summary>Applies one process view returned by a control call (read-your-writes before the push arrives).</summary>
    public void Apply(ProcessInfo process)
    {
        ArgumentNullException.ThrowIfNull(process);
        Update(current => current.Find(process.Node) is { } node
            ? new NodeView(node.Snapshot, Merge([process], node.Processes), node.ReceivedAt)
            : null);
    }

    /// <summary>Replaces one node's view, under the write lock; <paramref name="next"/> returns null to change nothing.</summary>
    private bool Update(Func<ClusterView, NodeView?> next)
    {
        lock (_writeGate)
        {
            var current = _current;
            if (next(current) is not { } node)
            {
                return false;
            }

            Volatile.Write(ref _current, Replace(current, node));
            return true;
        }
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
