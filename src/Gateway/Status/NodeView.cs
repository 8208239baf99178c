using System.Collections.Frozen;
using System.Collections.Immutable;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Status;

/// <summary>The gateway's immutable view of one node: its last snapshot merged with newer single-process results.</summary>
public sealed class NodeView
{
    public NodeView(NodeSnapshot snapshot, ImmutableArray<ProcessInfo> processes, DateTimeOffset receivedAt)
    {
        Snapshot = snapshot;
        Processes = processes;
        ReceivedAt = receivedAt;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var process in processes)
        {
            var key = process.Status.ToWireName();
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        Counts = counts.ToFrozenDictionary(StringComparer.Ordinal);
        Scripts = snapshot.Scripts.Select(s => s.Name).ToFrozenSet(StringComparer.Ordinal);
    }

    public string Name => Snapshot.Node;

    public NodeSnapshot Snapshot { get; }

    /// <summary>Processes of the node ordered by script name; each the newest view the gateway has seen.</summary>
    public ImmutableArray<ProcessInfo> Processes { get; }

    /// <summary>When the gateway last heard from the node (its freshness).</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>Process count per wire status name, precomputed for <c>nodes_list</c>.</summary>
    public FrozenDictionary<string, int> Counts { get; }

    public FrozenSet<string> Scripts { get; }

    public bool HasScript(string name) => Scripts.Contains(name);
}
