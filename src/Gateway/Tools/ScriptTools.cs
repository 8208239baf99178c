using System.ComponentModel;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Services;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>MCP tools over the scripts of every node. Thin: validate, call <see cref="ScriptsService"/>, return its DTO.</summary>
[McpServerToolType]
public sealed class ScriptTools(ScriptsService scripts, StatusAnswers answers)
{
    private const string NodeDescription = "Node (machine) name from nodes_list. Omit to use the default node (the only one, or the gateway's configured default).";

    [McpServerTool(Name = "scripts_list", ReadOnly = true, UseStructuredContent = true)]
    [Description("Lists the scripts that can be run, on every node or on one node. Use it to learn valid names before scripts_run.")]
    public ScriptsResult List(
        [Description("Only this node's scripts. Omit for every node.")] string? node = null) =>
        Invoke(() => scripts.ListScripts(node));

    [McpServerTool(Name = "scripts_run", UseStructuredContent = true)]
    [Description("Starts a script and returns once its OS process exists (pid known). If it is already running nothing new starts and already_running is true. Use scripts_status afterwards to follow it.")]
    public Task<RunScriptResult> Run(
        [Description("The script name, as listed by scripts_list.")] string name,
        [Description(NodeDescription)] string? node = null,
        CancellationToken cancellationToken = default) =>
        InvokeAsync(() => scripts.RunAsync(name, node, cancellationToken));

    [McpServerTool(Name = "scripts_stop", UseStructuredContent = true)]
    [Description("Stops a script's whole process tree (SIGTERM, then SIGKILL after the stop timeout) and returns once none of it is left. Its status becomes stopped.")]
    public Task<ProcessResult> Stop(
        [Description("The script name.")] string name,
        [Description(NodeDescription)] string? node = null,
        CancellationToken cancellationToken = default) =>
        InvokeAsync(() => scripts.StopAsync(name, node, cancellationToken));

    [McpServerTool(Name = "scripts_restart", UseStructuredContent = true)]
    [Description("Stops a script if it runs (whole tree), then starts it again; restarts counts up. Use it after changing code a dev server does not reload.")]
    public Task<ProcessResult> Restart(
        [Description("The script name.")] string name,
        [Description(NodeDescription)] string? node = null,
        CancellationToken cancellationToken = default) =>
        InvokeAsync(() => scripts.RestartAsync(name, node, cancellationToken));

    [McpServerTool(Name = "scripts_status", ReadOnly = true, UseStructuredContent = true, OutputSchemaType = typeof(StatusResult))]
    [Description("Status of the processes of every script that has run, on every node: status, pid, times, exit code, restarts, last output line; and each node's freshness. Cheap (answered from the gateway's cache, no node is called): poll it freely.")]
    public CallToolResult Status(
        [Description("Only this script. Omit for all.")] string? name = null,
        [Description("Only this node. Omit for all nodes.")] string? node = null)
    {
        if (string.IsNullOrEmpty(name) && string.IsNullOrEmpty(node))
        {
            return answers.Everything(); // The common poll: serialized once per view, not once per call.
        }

        var result = Invoke(() => scripts.Status(name, node));
        return new CallToolResult
        {
            StructuredContent = JsonSerializer.SerializeToElement(result, McpJsonUtilities.DefaultOptions),
            Content = [new TextContentBlock { Text = StatusText.Render(result) }],
        };
    }

    internal static T Invoke<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (GatewayException ex)
        {
            throw new McpException(ex.Message, ex);
        }
    }

    internal static async Task<T> InvokeAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (GatewayException ex)
        {
            throw new McpException(ex.Message, ex);
        }
    }
}
