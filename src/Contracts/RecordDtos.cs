using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Brummer.Gateway.Contracts;

[Description("One run of a script's process: from its start until it ended, and who started it.")]
public sealed record RunDto(
    [property: JsonPropertyName("run"), Description("Its number on the node (1 for the first start); errors_list takes it as run.")] int Run,
    [property: JsonPropertyName("started_at"), Description("ISO-8601 UTC.")] DateTime StartedAt,
    [property: JsonPropertyName("ended_at"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("ISO-8601 UTC; null while it runs.")] DateTime? EndedAt,
    [property: JsonPropertyName("duration_ms"), Description("How long it ran (until now while it runs).")] long DurationMs,
    [property: JsonPropertyName("outcome"), Description("running, succeeded (exit 0), failed (another exit code, or its liveness probe failed), stopped (on request) or not_started (its program could not be started).")] string Outcome,
    [property: JsonPropertyName("exit_code"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("Null while it runs, when it never started or was ended by a signal.")] int? ExitCode,
    [property: JsonPropertyName("error_count"), Description("Errors detected in its output, repeats included (errors_list with this run shows them).")] int ErrorCount,
    [property: JsonPropertyName("started_by"), Description("Who started it: a token or MCP client name, user@host for the CLI, policy for a restart by its restart policy, node for the node itself (autostart, a changed definitions file).")] string StartedBy,
    [property: JsonPropertyName("trigger"), Description("Why it started: request, restart (by policy), dependencies (it waited for them), reload.")] string Trigger,
    [property: JsonPropertyName("reason"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("Why it could not start or failed, when known.")] string? Reason);

public sealed record HistoryResult(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("name"), Description("The script.")] string Name,
    [property: JsonPropertyName("runs"), Description("Its last runs (at most 20), newest first.")] IReadOnlyList<RunDto> Runs);

[Description("One control action a node was asked to take.")]
public sealed record AuditDto(
    [property: JsonPropertyName("time"), Description("When it was asked (ISO-8601 UTC, the node's clock).")] DateTime Time,
    [property: JsonPropertyName("by"), Description("Who asked: the token's name when tokens are on, else the MCP client's name or the CLI's user@host; node for the node itself.")] string By,
    [property: JsonPropertyName("action"), Description("run, stop, restart, reload, claim or release.")] string Action,
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("name"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("The script; null for a reload (the whole node).")] string? Name,
    [property: JsonPropertyName("outcome"), Description("ok, already running, or why it was refused (e.g. claimed by someone else) or failed.")] string Outcome)
{
    [JsonPropertyName("forced_over"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("Whose claim it was forced over (force: true); null when it was not.")]
    public string? ForcedOver { get; init; }
}

public sealed record AuditResult(
    [property: JsonPropertyName("entries"), Description("Newest first.")] IReadOnlyList<AuditDto> Entries,
    [property: JsonPropertyName("unreachable_nodes"), Description("Nodes that could not be asked (lost or not answering).")] IReadOnlyList<string> UnreachableNodes);

[Description("The last run, stop or restart asked of a process.")]
public sealed record LastActionDto(
    [property: JsonPropertyName("by"), Description("Who asked (as in audit_list).")] string By,
    [property: JsonPropertyName("action"), Description("run, stop or restart.")] string Action,
    [property: JsonPropertyName("at"), Description("ISO-8601 UTC.")] DateTime At);

[Description("Someone's claim on a process: while it holds, others' run, stop and restart are refused unless they pass force: true.")]
public sealed record ClaimDto(
    [property: JsonPropertyName("by"), Description("Who holds it (as in audit_list).")] string By,
    [property: JsonPropertyName("until"), Description("When it lapses by itself (ISO-8601 UTC).")] DateTime Until,
    [property: JsonPropertyName("note"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("Why, in the holder's words.")] string? Note,
    [property: JsonPropertyName("at"), Description("When it was made (ISO-8601 UTC).")] DateTime At);

public sealed record ClaimResult(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("name"), Description("The script.")] string Name,
    [property: JsonPropertyName("claim"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("scripts_claim: the claim now held. scripts_release: the claim that was released; null if there was none.")] ClaimDto? Claim);
