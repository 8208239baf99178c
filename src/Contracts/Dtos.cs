using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Brummer.Gateway.Contracts;

// Wire contract shared by MCP structured content and the JSON API: snake_case names, pinned explicitly.
// Nullable fields are always written (as null): MCP output schemas list every field as required, and strict
// clients (the TypeScript SDK) reject structured content that omits one.

[Description("A script a node can run.")]
public sealed record ScriptDto(
    [property: JsonPropertyName("node"), Description("The node that runs it.")] string Node,
    [property: JsonPropertyName("name"), Description("The script name, as passed to scripts_run.")] string Name,
    [property: JsonPropertyName("command"), Description("What the script runs, as written in its source.")] string Command,
    [property: JsonPropertyName("source"), Description("Where it was discovered and with which package manager.")] string Source);

[Description("The state of one script's process on one node.")]
public sealed record ProcessDto(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status"), Description("pending, starting, running, stopping, stopped, succeeded, failed, restarting or lost.")] string Status,
    [property: JsonPropertyName("pid"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? Pid,
    [property: JsonPropertyName("started_at"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("ISO-8601 UTC.")] DateTime? StartedAt,
    [property: JsonPropertyName("exited_at"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("ISO-8601 UTC.")] DateTime? ExitedAt,
    [property: JsonPropertyName("exit_code"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? ExitCode,
    [property: JsonPropertyName("restarts")] int Restarts,
    [property: JsonPropertyName("last_line"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("The last non-blank line the process printed in its current run, colour codes removed.")] string? LastLine,
    [property: JsonPropertyName("reason"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("Why it failed to start, when it did.")] string? Reason,
    [property: JsonPropertyName("error_count"), Description("Errors detected in its current (or last) run's output, repeats included; errors_list has them.")] int ErrorCount,
    [property: JsonPropertyName("urls"), Description("URLs it printed (urls_list has when).")] IReadOnlyList<string> Urls,
    [property: JsonPropertyName("health"), Description("none (no readiness probe), starting, ready or unhealthy.")] string Health,
    [property: JsonPropertyName("waiting_for"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("While pending, or after a dependency failed: what it waits for.")] string? WaitingFor,
    [property: JsonPropertyName("next_restart_at"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("While restarting: when the next start is due (ISO-8601 UTC).")] DateTime? NextRestartAt)
{
    [JsonPropertyName("run"), Description("The current (or last) run's number on its node: 1 for the first start, 0 before it (scripts_history lists the runs).")]
    public int Run { get; init; }

    [JsonPropertyName("last_action"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("The last run, stop or restart asked of it ({by, action, at}); null if none since its node started. audit_list has every action.")]
    public LastActionDto? LastAction { get; init; }

    [JsonPropertyName("claim"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("Who keeps others' hands off it until when ({by, until, note, at}); null when nobody does. While it holds, others' scripts_run, scripts_stop and scripts_restart are refused unless they pass force: true.")]
    public ClaimDto? Claim { get; init; }
}

public sealed record ScriptsResult(
    [property: JsonPropertyName("scripts")] IReadOnlyList<ScriptDto> Scripts);

public sealed record RunScriptResult(
    [property: JsonPropertyName("process")] ProcessDto Process,
    [property: JsonPropertyName("already_running"), Description("True when it was already running and nothing new was started.")] bool AlreadyRunning);

public sealed record ProcessResult(
    [property: JsonPropertyName("process")] ProcessDto Process);

public sealed record StatusResult(
    [property: JsonPropertyName("as_of"), Description("When the gateway's view was last updated (ISO-8601 UTC).")] DateTime AsOf,
    [property: JsonPropertyName("nodes"), Description("How fresh each node's part of this answer is.")] IReadOnlyList<NodeFreshnessDto> Nodes,
    [property: JsonPropertyName("processes")] IReadOnlyList<ProcessDto> Processes)
{
    [JsonPropertyName("cursor"), Description("Where this answer stands: pass it as changed_since to get only the processes that changed after it.")]
    public string Cursor { get; init; } = string.Empty;
}

[Description("How fresh the gateway's view of one node is.")]
public sealed record NodeFreshnessDto(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status"), Description("up; unresponsive (no heartbeat for over 6 s: paused, overloaded or cut off; requests to it are refused at once); left (stopped on purpose: its processes show how they ended); or lost (declared dead: its processes show their last known state).")] string Status,
    [property: JsonPropertyName("as_of"), Description("When the gateway last heard from the node (ISO-8601 UTC); nodes send a heartbeat every 2 s.")] DateTime AsOf);

public sealed record NodeDto(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("status"), Description("up; unresponsive (no heartbeat for over 6 s: paused, overloaded or cut off; requests to it are refused at once); left (stopped on purpose: its processes show how they ended); or lost (declared dead: its processes show their last known state).")] string Status,
    [property: JsonPropertyName("processes"), Description("Process count per status.")] IReadOnlyDictionary<string, int> Processes,
    [property: JsonPropertyName("as_of"), Description("When the gateway last heard from the node (ISO-8601 UTC).")] DateTime AsOf,
    [property: JsonPropertyName("age_ms"), Description("Milliseconds since then, at the time of this answer.")] long AgeMs,
    [property: JsonPropertyName("definitions_error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("Why the node refused its brummer.yaml/package.json when last read; it still runs the previous definitions.")] string? DefinitionsError = null);

public sealed record NodesResult(
    [property: JsonPropertyName("nodes")] IReadOnlyList<NodeDto> Nodes,
    [property: JsonPropertyName("membership")] MembershipDto Membership);

[Description("Whether the cluster's membership store (Redis, PostgreSQL) is healthy, as the node this gateway talks to sees it.")]
public sealed record MembershipDto(
    [property: JsonPropertyName("status"), Description("ok, or degraded: the store lost its data or cannot be read. Nodes put lost data back within seconds; until then a node that dies may not be reported lost.")] string Status,
    [property: JsonPropertyName("reason"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("Why it is degraded; null when ok.")] string? Reason);

[Description("What one node's reload did, or why it changed nothing.")]
public sealed record ReloadDto(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("added"), Description("Processes that appeared (and started, if they autostart).")] IReadOnlyList<string> Added,
    [property: JsonPropertyName("removed"), Description("Processes that were stopped and are gone.")] IReadOnlyList<string> Removed,
    [property: JsonPropertyName("changed"), Description("Processes whose definition changed.")] IReadOnlyList<string> Changed,
    [property: JsonPropertyName("restarted"), Description("Changed processes that were running and restarted with their new definition.")] IReadOnlyList<string> Restarted,
    [property: JsonPropertyName("held"), Description("Changed processes that were running under someone's claim: left running, they take the new definition at their next start (restart them to apply it).")] IReadOnlyList<string> Held,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("Why the files were refused (file:line:column: what is wrong); the node keeps its previous definitions. Null when reloaded.")] string? Error);

public sealed record StackReloadResult(
    [property: JsonPropertyName("nodes")] IReadOnlyList<ReloadDto> Nodes);

[Description("The gateway is up.")]
public sealed record HealthResult(
    [property: JsonPropertyName("status"), Description("Always ok: an answer at all is the news.")] string Status,
    [property: JsonPropertyName("nodes"), Description("How many nodes the gateway knows (in any state).")] int Nodes);
