using System.ComponentModel;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Services;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>MCP tools over what nodes remember of their processes: each one's runs, and who did what.</summary>
[McpServerToolType]
public sealed class RecordTools(RecordsService records)
{
    [McpServerTool(Name = "audit_list", ReadOnly = true, UseStructuredContent = true)]
    [Description("Who did what, newest first: every run, stop, restart and reload asked of a node, with who asked (the token's name when the gateway uses tokens, else the MCP client's name or the CLI's user@host), " +
        "when, on which node and process, and how it went. Each node keeps its last 1,000 actions, so this outlives gateway restarts. scripts_status shows each process's last_action too.")]
    public Task<AuditResult> Audit(
        [Description("Only this node's actions. Omit for every node.")] string? node = null,
        [Description("Most entries to return (default 50, 1 to 1000).")] int? limit = null,
        CancellationToken cancellationToken = default) =>
        records.AuditAsync(node, limit, cancellationToken);

    [McpServerTool(Name = "scripts_history", ReadOnly = true, UseStructuredContent = true)]
    [Description("The last 20 runs of one script's process, newest first: run number, start and end, duration, outcome (running, succeeded, failed, stopped, not_started), exit code, how many errors it printed, " +
        "who started it (a token or MCP client name, user@host for the CLI, policy for a restart by its restart policy, node for autostart) and why. " +
        "Use it to see whether a failure is new or keeps coming back; errors_list with run: N shows a run's errors.")]
    public Task<HistoryResult> History(
        [Description("The script name, as listed by scripts_list.")] string name,
        [Description(ScriptTools.NodeDescription)] string? node = null,
        CancellationToken cancellationToken = default) =>
        records.HistoryAsync(name, node, cancellationToken);
}
