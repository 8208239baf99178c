using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Status;

/// <summary>A script on a node, validated against the cluster view: the node exists, is not lost, and has the script.</summary>
public readonly record struct ProcessTarget(NodeView Node, string Script);

/// <summary>
/// Resolves what a request names — a script, a node, both or neither — against the current <see cref="ClusterView"/>,
/// with one message per mistake naming what does exist. Only discovered scripts are ever a target.
/// </summary>
public sealed class ClusterTargets(ClusterStatusCache cache, IOptions<GatewayOptions> options, TimeProvider time)
{
    /// <summary>
    /// The script to act on: on <paramref name="node"/>, or on the default node when none is named. A node that is lost,
    /// left or unresponsive is refused at once — the request would only wait for it, and then perhaps take effect
    /// after the caller was told it failed.
    /// </summary>
    public ProcessTarget Process(string name, string? node)
    {
        var view = cache.Current;
        var target = Script(view, name, node).Node;
        var now = time.GetUtcNow();
        var up = string.Join(", ", view.Nodes.Where(n => n.IsReachable(now)).Select(n => n.Name));
        var why = target.State(now) switch
        {
            NodeState.Lost => "is lost (the cluster declared it dead); its scripts cannot be controlled until it rejoins",
            NodeState.Left => "left the cluster (it was stopped on purpose); its scripts cannot be controlled until it rejoins",
            NodeState.Unresponsive => $"is unresponsive: not heard from for {(now - target.ReceivedAt).TotalSeconds:0.0} s (it sends a heartbeat every {StatusSubscription.Heartbeat.TotalSeconds:0} s); the request was not sent",
            _ => null,
        };
        if (why is not null)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, $"Node '{target.Name}' {why}. Nodes up: {(up.Length == 0 ? "none" : up)}.");
        }

        return new ProcessTarget(target, name);
    }

    /// <summary>
    /// The script a read names, on <paramref name="node"/> or the default node, whatever state the node is in: a
    /// question about a lost node's script is answered with what is known of it.
    /// </summary>
    public ProcessTarget Script(string name, string? node) => Script(cache.Current, name, node);

    private ProcessTarget Script(ClusterView view, string name, string? node)
    {
        var target = RequireNode(view, node ?? DefaultNode(view, name));
        return target.HasScript(name) ? new ProcessTarget(target, name) : throw UnknownScript(view, name, target.Name);
    }

    /// <summary>The nodes a cluster-wide question goes to: one named node, or every node (that has the script, when one is named).</summary>
    public IReadOnlyList<NodeView> Nodes(string? name, string? node)
    {
        var view = cache.Current;
        IEnumerable<NodeView> nodes = node is null ? view.Nodes : [RequireNode(view, node)];
        if (name is not null)
        {
            var having = nodes.Where(n => n.HasScript(name)).ToList();
            return having.Count > 0 ? having : throw UnknownScript(view, name, node);
        }

        return [.. nodes];
    }

    public static NodeView RequireNode(ClusterView view, string node)
    {
        ArgumentNullException.ThrowIfNull(view);
        return view.Find(node) ?? throw (view.Nodes.IsEmpty
            ? NoNodes()
            : new GatewayException(GatewayErrorKind.NotFound, $"Unknown node {InputText.Quote(node)}. Nodes: {NodeNames(view)}."));
    }

    /// <summary>Fails unless some node (or <paramref name="node"/>) has the script.</summary>
    public static void RequireScript(ClusterView view, string name, string? node)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (!view.Nodes.Any(n => (node is null || n.Name == node) && n.HasScript(name)))
        {
            throw UnknownScript(view, name, node);
        }
    }

    /// <summary>
    /// The node a request that names none means: the configured default, the only node, or the only node that has
    /// <paramref name="name"/> (a script that runs on one machine of several needs no node to be named).
    /// </summary>
    private string DefaultNode(ClusterView view, string name)
    {
        if (options.Value.DefaultNode is { Length: > 0 } configured)
        {
            return configured;
        }

        if (view.Nodes.Length == 1)
        {
            return view.Nodes[0].Name;
        }

        var having = view.Nodes.Where(n => n.HasScript(name)).Select(n => n.Name).ToList();
        return having.Count switch
        {
            1 => having[0],
            0 when view.Nodes.IsEmpty => throw NoNodes(),
            0 => throw UnknownScript(view, name, node: null),
            _ => throw new GatewayException(GatewayErrorKind.BadRequest, $"'node' is required: {InputText.Quote(name)} is on nodes {string.Join(", ", having)}. Pass one of them (scripts_status shows how each is doing)."),
        };
    }

    private static GatewayException UnknownScript(ClusterView view, string name, string? node)
    {
        var scripts = view.Nodes
            .Where(n => node is null || n.Name == node)
            .SelectMany(n => n.ScriptList.Select(s => s.Name))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        var where = node is null ? string.Empty : $" on node '{node}'";
        return new GatewayException(GatewayErrorKind.NotFound, $"Unknown script {InputText.Quote(name)}{where}. Scripts: {string.Join(", ", scripts)}.");
    }

    private static GatewayException NoNodes() =>
        new(GatewayErrorKind.Unavailable, "No node has reported to this gateway yet; is a node running and joined to the cluster?");

    private static string NodeNames(ClusterView view) => string.Join(", ", view.Nodes.Select(n => n.Name));
}
