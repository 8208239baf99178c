using Brummer.Gateway.Contracts;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Services;

/// <summary>
/// The one service layer behind both MCP tools and the JSON API. Reads answer from the <see cref="ClusterStatusCache"/>
/// (no grain call); control calls validate against it, then call the process grain pinned to the node.
/// </summary>
public sealed class ScriptsService(
    ClusterStatusCache cache,
    ClusterTargets targets,
    NodeCalls calls,
    TimeProvider time)
{
    private const string NameIsRequired = "the script to act on (see scripts_list)";

    public ScriptsResult ListScripts(string? node)
    {
        node = Arguments.OptionalName(node, "node");
        var view = cache.Current;
        IEnumerable<NodeView> nodes = node is null ? view.Nodes : [ClusterTargets.RequireNode(view, node)];
        return new ScriptsResult([.. nodes.SelectMany(n => n.ScriptList).Select(s => s.ToDto())]);
    }

    public StatusResult Status(StatusQuery query) => Status(cache.Current, time.GetUtcNow(), query);

    /// <summary>The status answer for one view of the cluster: a pure function of it and of its nodes' freshness at <paramref name="now"/>.</summary>
    public static StatusResult Status(ClusterView view, DateTimeOffset now, StatusQuery query)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(query);
        IEnumerable<NodeView> nodes = query.Node is null ? view.Nodes : [ClusterTargets.RequireNode(view, query.Node)];
        if (query.Name is not null)
        {
            ClusterTargets.RequireScript(view, query.Name, node: null);
        }

        var processes = new List<ProcessDto>();
        foreach (var node in nodes)
        {
            foreach (var process in node.Processes)
            {
                if ((query.Name is null || string.Equals(process.Name, query.Name, StringComparison.Ordinal)) &&
                    (query.Statuses is not { } statuses || statuses.Keeps(process.Status)) &&
                    (query.ChangedSince is not { } since || since.Changed(node, process)))
                {
                    processes.Add(process.ToDto(node.Clock.ToNodeTime(now)));
                }
            }
        }

        return new StatusResult(view.AsOf.UtcDateTime, [.. view.Nodes.Select(n => n.ToFreshnessDto(now))], processes)
        {
            Cursor = StatusCursor.Of(view),
        };
    }

    public NodesResult Nodes()
    {
        var view = cache.Current;
        var now = time.GetUtcNow();
        return new NodesResult([.. view.Nodes.Select(n => n.ToDto(now))], cache.MembershipDegraded.ToMembershipDto());
    }

    public async Task<RunScriptResult> RunAsync(string? name, string? node, CancellationToken cancellationToken)
    {
        var target = Resolve(name, node);
        var result = await calls.ControlAsync(target, (grain, deadline, ct) => grain.RunAsync(deadline, ct), stops: false, cancellationToken);
        cache.Apply(result.Process);
        return new RunScriptResult(result.Process.ToDto(), result.AlreadyRunning);
    }

    public async Task<ProcessResult> StopAsync(string? name, string? node, CancellationToken cancellationToken)
    {
        var target = Resolve(name, node);
        if (target.Node.Processes.FirstOrDefault(p => p.Name == target.Script) is null)
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, $"{InputText.Quote(target.Script)} on node '{target.Node.Name}' has never run; nothing to stop.");
        }

        var process = await calls.ControlAsync(target, (grain, deadline, ct) => grain.StopAsync(deadline, ct), stops: true, cancellationToken);
        cache.Apply(process);
        return new ProcessResult(process.ToDto());
    }

    public async Task<ProcessResult> RestartAsync(string? name, string? node, CancellationToken cancellationToken)
    {
        var target = Resolve(name, node);
        var process = await calls.ControlAsync(target, (grain, deadline, ct) => grain.RestartAsync(deadline, ct), stops: true, cancellationToken);
        cache.Apply(process);
        return new ProcessResult(process.ToDto());
    }

    /// <summary>Keeps others' hands off a process for a while (their control calls are refused unless forced); see <see cref="ProcessClaim"/>.</summary>
    public async Task<ClaimResult> ClaimAsync(string? name, string? node, double? minutes, string? note, CancellationToken cancellationToken)
    {
        var target = Resolve(name, node);
        var duration = Arguments.ClaimDuration(minutes, "minutes");
        var text = Arguments.ClaimNote(note, "note");
        var answer = await calls.ControlAsync(target, (grain, _, _) => grain.ClaimAsync(duration, text), stops: false, cancellationToken);
        return Answer(target, answer);
    }

    /// <summary>Ends the caller's claim on a process (someone else's only with force).</summary>
    public async Task<ClaimResult> ReleaseAsync(string? name, string? node, CancellationToken cancellationToken)
    {
        var target = Resolve(name, node);
        var answer = await calls.ControlAsync(target, (grain, _, _) => grain.ReleaseAsync(), stops: false, cancellationToken);
        return Answer(target, answer);
    }

    private ClaimResult Answer(ProcessTarget target, ClaimAnswer answer)
    {
        if (answer.Process is { } process)
        {
            cache.Apply(process);
        }

        return new ClaimResult(target.Node.Name, target.Script, answer.Claim?.ToDto());
    }

    private ProcessTarget Resolve(string? name, string? node) =>
        targets.Process(Arguments.RequiredName(name, "name", NameIsRequired), Arguments.OptionalName(node, "node"));
}
