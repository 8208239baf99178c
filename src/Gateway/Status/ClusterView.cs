using System.Collections.Immutable;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Status;

/// <summary>One immutable picture of the whole cluster as the gateway knows it. Readers share it; nobody copies it.</summary>
public sealed class ClusterView
{
    public static readonly ClusterView Empty = new([], DateTimeOffset.MinValue);

    public ClusterView(ImmutableArray<NodeView> nodes, DateTimeOffset asOf)
    {
        Nodes = nodes;
        AsOf = asOf;
        Processes = [.. nodes.SelectMany(n => n.Processes)];
    }

    /// <summary>Nodes ordered by name.</summary>
    public ImmutableArray<NodeView> Nodes { get; }

    /// <summary>Every process of every node, precomputed once per change.</summary>
    public ImmutableArray<ProcessInfo> Processes { get; }

    /// <summary>When this view was built (the newest information it holds).</summary>
    public DateTimeOffset AsOf { get; }

    public NodeView? Find(string node)
    {
        foreach (var view in Nodes)
        {
            if (string.Equals(view.Name, node, StringComparison.Ordinal))
            {
                return view;
            }
        }

        return null;
    }
}
