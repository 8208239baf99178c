using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Services;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>MCP tools that read the scripts of every node. Thin: call <see cref="ScriptsService"/>, return its DTO.</summary>
[McpServerToolType]
public sealed class ScriptTools(ScriptsService scripts, StatusAnswers answers)
{
    internal const string NodeDescription = "Node (machine) name from nodes_list. May be omitted when the script is on one node only (or the gateway has a configured default node); required when it is on several.";

    [McpServerTool(Name = "scripts_list", ReadOnly = true, UseStructuredContent = true)]
    [Description("Lists the scripts that can be run, on every node or on one node. Use it to learn valid names before scripts_run.")]
    public ScriptsResult List(
        [Description("Only this node's scripts. Omit for every node.")] string? node = null) =>
        scripts.ListScripts(node);

    [McpServerTool(Name = "scripts_status", ReadOnly = true, UseStructuredContent = true, OutputSchemaType = typeof(StatusResult))]
    [SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "The parameter name is the MCP argument name: snake_case like the whole contract.")]
    [Description("Status of the processes of every script that has run, on every node: status, health, pid, times, exit code, restarts, last output line, what it waits for; and each node's freshness. " +
        "Cheap (answered from the gateway's cache, no node is called): poll it freely. To keep answers small, narrow them: status (e.g. failed,restarting or !running) " +
        "and changed_since (the cursor of your previous answer: only the processes that changed after it). Is anything failing anywhere? status: failed,restarting,lost; " +
        "then errors_list (name, node) for what it printed, and scripts_restart with wait: ready to bring it back.")]
    public CallToolResult Status(
        [Description("Only this script. Omit for all.")] string? name = null,
        [Description("Only this node. Omit for all nodes.")] string? node = null,
        [Description("Only processes in these statuses, comma-separated (pending, starting, running, stopping, stopped, succeeded, failed, restarting, lost); '!' first for every other one, e.g. !running.")] string? status = null,
        [Description("The cursor of an earlier answer: only the processes that changed after it.")] string? changed_since = null)
    {
        var query = StatusQuery.Parse(name, node, status, changed_since);
        if (query.IsEverything)
        {
            return answers.Everything(); // The common poll: serialized once per view, not once per call.
        }

        var result = scripts.Status(query);
        return new CallToolResult
        {
            StructuredContent = JsonSerializer.SerializeToElement(result, McpJsonUtilities.DefaultOptions),
            Content = [new TextContentBlock { Text = StatusText.Render(result, narrowed: true) }],
        };
    }
}
