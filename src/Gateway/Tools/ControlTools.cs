using System.ComponentModel;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Security;
using Brummer.Gateway.Services;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>MCP tools that start and stop scripts: they need the operate role, and a read-only gateway has none of them.</summary>
[McpServerToolType]
public sealed class ControlTools(ScriptsService scripts)
{
    [McpServerTool(Name = "scripts_run", UseStructuredContent = true), RequiresRole(GatewayRole.Operate)]
    [Description("Starts a script and returns once its OS process exists (pid known). If it is already running nothing new starts and already_running is true. Use scripts_status afterwards to follow it.")]
    public Task<RunScriptResult> Run(
        [Description("The script name, as listed by scripts_list.")] string name,
        [Description(ScriptTools.NodeDescription)] string? node = null,
        CancellationToken cancellationToken = default) =>
        scripts.RunAsync(name, node, cancellationToken);

    [McpServerTool(Name = "scripts_stop", UseStructuredContent = true), RequiresRole(GatewayRole.Operate)]
    [Description("Stops a script's whole process tree (SIGTERM, then SIGKILL after the stop timeout) and returns once none of it is left. Its status becomes stopped.")]
    public Task<ProcessResult> Stop(
        [Description("The script name.")] string name,
        [Description(ScriptTools.NodeDescription)] string? node = null,
        CancellationToken cancellationToken = default) =>
        scripts.StopAsync(name, node, cancellationToken);

    [McpServerTool(Name = "scripts_restart", UseStructuredContent = true), RequiresRole(GatewayRole.Operate)]
    [Description("Stops a script if it runs (whole tree), then starts it again; restarts counts up. Use it after changing code a dev server does not reload.")]
    public Task<ProcessResult> Restart(
        [Description("The script name.")] string name,
        [Description(ScriptTools.NodeDescription)] string? node = null,
        CancellationToken cancellationToken = default) =>
        scripts.RestartAsync(name, node, cancellationToken);
}
