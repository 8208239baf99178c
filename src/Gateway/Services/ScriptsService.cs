using Brummer.Gateway.Contracts;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Services;

/// <summary>
/// The one service layer behind both MCP tools and the JSON API. Reads answer from the <see cref="ClusterStatusCache"/>
/// (no grain call); control calls validate against it, then call the process grain pinned to the node.
/// </summary>
public sealed class ScriptsService(IClusterClient client, ClusterStatusCache cache, IOptions<GatewayOptions> options, TimeProvider time)
{
    public ScriptsResult ListScripts(string? node)
    {
        var view = cache.Current;
        IEnumerable<NodeView> nodes = string.IsNullOrEmpty(node) ? view.Nodes : [RequireNode(view, node)];
        return new ScriptsResult([.. nodes.SelectMany(n => n.ScriptList).Select(ScriptDto.From)]);
    }

    public StatusResult Status(string? name, string? node) => Status(cache.Current, name, node);

    /// <summary>The status answer for one view of the cluster: a pure function of it (and of its nodes' freshness).</summary>
    public static StatusResult Status(ClusterView view, string? name, string? node)
    {
        ArgumentNullException.ThrowIfNull(view);
        IEnumerable<ProcessInfo> processes = view.Processes;
        if (!string.IsNullOrEmpty(node))
        {
            processes = RequireNode(view, node).Processes;
        }

        if (!string.IsNullOrEmpty(name))
        {
            if (!view.Nodes.Any(n => n.HasScript(name)))
            {
                throw UnknownScript(view, name, node);
            }

            processes = processes.Where(p => string.Equals(p.Name, name, StringComparison.Ordinal));
        }

        return new StatusResult(
            view.AsOf.UtcDateTime,
            [.. view.Nodes.Select(NodeFreshnessDto.From)],
            [.. processes.Select(ProcessDto.From)]);
    }

    public NodesResult Nodes()
    {
        var view = cache.Current;
        var now = time.GetUtcNow();
        return new NodesResult([.. view.Nodes.Select(n => NodeDto.From(n, now))], MembershipDto.From(cache.MembershipDegraded));
    }

    public async Task<RunScriptResult> RunAsync(string? name, string? node, CancellationToken cancellationToken)
    {
        var grain = Resolve(name, node);
        var result = await Call(grain.RunAsync(), cancellationToken);
        cache.Apply(result.Process);
        return new RunScriptResult(ProcessDto.From(result.Process), result.AlreadyRunning);
    }

    public async Task<ProcessResult> StopAsync(string? name, string? node, CancellationToken cancellationToken)
    {
        var (target, script) = Target(name, node);
        if (cache.Current.Find(target)?.Processes.FirstOrDefault(p => p.Name == script) is null)
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, $"'{script}' on node '{target}' has never run; nothing to stop.");
        }

        var grain = client.GetGrain<IProcessGrain>(new ProcessKey(target, script).ToString());
        var process = await Call(grain.StopAsync(), cancellationToken);
        cache.Apply(process);
        return new ProcessResult(ProcessDto.From(process));
    }

    public async Task<ProcessResult> RestartAsync(string? name, string? node, CancellationToken cancellationToken)
    {
        var grain = Resolve(name, node);
        var process = await Call(grain.RestartAsync(), cancellationToken);
        cache.Apply(process);
        return new ProcessResult(ProcessDto.From(process));
    }

    private IProcessGrain Resolve(string? name, string? node)
    {
        var (target, script) = Target(name, node);
        return client.GetGrain<IProcessGrain>(new ProcessKey(target, script).ToString());
    }

    /// <summary>Validates a (script, node) pair against the cluster view; only discovered scripts are runnable.</summary>
    internal (string Node, string Script) Target(string? name, string? node)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, "'name' is required: the script to act on (see scripts_list).");
        }

        var view = cache.Current;
        var target = RequireNode(view, string.IsNullOrWhiteSpace(node) ? DefaultNode(view) : node);
        if (!target.HasScript(name))
        {
            throw UnknownScript(view, name, target.Name);
        }

        if (target.IsLost)
        {
            var up = view.Nodes.Where(n => !n.IsLost).Select(n => n.Name);
            throw new GatewayException(
                GatewayErrorKind.Unavailable,
                $"Node '{target.Name}' is lost (the cluster declared it dead); its scripts cannot be controlled until it rejoins. Nodes up: {string.Join(", ", up)}.");
        }

        return (target.Name, name);
    }

    private string DefaultNode(ClusterView view)
    {
        if (options.Value.DefaultNode is { Length: > 0 } configured)
        {
            return configured;
        }

        return view.Nodes.Length switch
        {
            1 => view.Nodes[0].Name,
            0 => throw NoNodes(),
            _ => throw new GatewayException(GatewayErrorKind.BadRequest, $"'node' is required when several nodes are up. Nodes: {NodeNames(view)}."),
        };
    }

    internal static NodeView RequireNode(ClusterView view, string node) =>
        view.Find(node) ?? throw (view.Nodes.IsEmpty
            ? NoNodes()
            : new GatewayException(GatewayErrorKind.NotFound, $"Unknown node '{node}'. Nodes: {NodeNames(view)}."));

    internal static GatewayException UnknownScript(ClusterView view, string name, string? node)
    {
        var scripts = view.Nodes
            .Where(n => node is null || n.Name == node)
            .SelectMany(n => n.ScriptList.Select(s => s.Name))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        var where = node is null ? string.Empty : $" on node '{node}'";
        return new GatewayException(GatewayErrorKind.NotFound, $"Unknown script '{name}'{where}. Scripts: {string.Join(", ", scripts)}.");
    }

    private static GatewayException NoNodes() =>
        new(GatewayErrorKind.Unavailable, "No node has reported to this gateway yet; is a node running and joined to the cluster?");

    private static string NodeNames(ClusterView view) => string.Join(", ", view.Nodes.Select(n => n.Name));

    private static async Task<T> Call<T>(Task<T> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, ex.Message, ex);
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, $"The node could not be reached: {ex.Message}", ex);
        }
    }
}
