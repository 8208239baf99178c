using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Security;
using Brummer.Gateway.Services;
using Brummer.Gateway.Waiting;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>MCP tools that start and stop scripts, and claim them: they need the operate role, and a read-only gateway has none of them.</summary>
[McpServerToolType]
public sealed class ControlTools(ScriptsService scripts, WaitService waits, ControlActors actors)
{
    private const string ForceDescription = "true to act even though someone else claimed the process (scripts_claim); the audit records whose claim you overrode. Omit otherwise.";

    [McpServerTool(Name = "scripts_run", UseStructuredContent = true), RequiresRole(GatewayRole.Operate)]
    [SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "The parameter name is the MCP argument name: snake_case like the whole contract.")]
    [Description("Starts a script and returns once its OS process exists (pid known). If it is already running nothing new starts and already_running is true. " +
        "With wait: ready (or running) it returns only once the process serves (readiness probe passed, or running when it has none), so one call starts a service and waits for it; " +
        "if it fails first or is not ready within timeout_seconds the answer is an error saying so (the process was started all the same). Without wait, use wait_for or scripts_status afterwards.")]
    public Task<RunScriptResult> Run(
        [Description("The script name, as listed by scripts_list.")] string name,
        [Description(ScriptTools.NodeDescription)] string? node = null,
        [Description("ready or running: return only once the process is. Omit to return as soon as it is started.")] string? wait = null,
        [Description("With wait: " + WaitTools.TimeoutDescription)] int? timeout_seconds = null,
        [Description(ForceDescription)] bool? force = null,
        IProgress<ProgressNotificationValue>? progress = null,
        CancellationToken cancellationToken = default)
    {
        actors.Force(force);
        return waits.RunAsync(scripts, name, node, wait, timeout_seconds, "timeout_seconds", cancellationToken, McpWaitProgress.From(progress));
    }

    [McpServerTool(Name = "scripts_stop", UseStructuredContent = true), RequiresRole(GatewayRole.Operate)]
    [Description("Stops a script's whole process tree (SIGTERM, then SIGKILL after the stop timeout) and returns once none of it is left. Its status becomes stopped.")]
    public Task<ProcessResult> Stop(
        [Description("The script name.")] string name,
        [Description(ScriptTools.NodeDescription)] string? node = null,
        [Description(ForceDescription)] bool? force = null,
        CancellationToken cancellationToken = default)
    {
        actors.Force(force);
        return scripts.StopAsync(name, node, cancellationToken);
    }

    [McpServerTool(Name = "scripts_restart", UseStructuredContent = true), RequiresRole(GatewayRole.Operate)]
    [SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "The parameter name is the MCP argument name: snake_case like the whole contract.")]
    [Description("Stops a script if it runs (whole tree), then starts it again; restarts counts up. Use it after fixing what made it fail, or after changing code a dev server does not reload. " +
        "With wait: ready (or running) it returns only once the new run serves, so one call restarts a service and waits for it; if it fails first or is not ready within timeout_seconds the answer is an error saying so.")]
    public Task<ProcessResult> Restart(
        [Description("The script name, as listed by scripts_list.")] string name,
        [Description(ScriptTools.NodeDescription)] string? node = null,
        [Description("ready or running: return only once the new run is. Omit to return as soon as it is started.")] string? wait = null,
        [Description("With wait: " + WaitTools.TimeoutDescription)] int? timeout_seconds = null,
        [Description(ForceDescription)] bool? force = null,
        IProgress<ProgressNotificationValue>? progress = null,
        CancellationToken cancellationToken = default)
    {
        actors.Force(force);
        return waits.RestartAsync(scripts, name, node, wait, timeout_seconds, "timeout_seconds", cancellationToken, McpWaitProgress.From(progress));
    }

    [McpServerTool(Name = "scripts_claim", UseStructuredContent = true), RequiresRole(GatewayRole.Operate)]
    [Description("Keeps others' hands off a process for a while, e.g. while you debug or migrate it: until it lapses, scripts_run, scripts_stop and scripts_restart by anyone else are refused " +
        "with \"claimed by YOU until T: NOTE\" unless they pass force: true (recorded in audit_list). You act on it freely. It lapses by itself after the minutes given; claim again to extend it, scripts_release to end it sooner. " +
        "scripts_status shows each process's claim. Check it before acting on a process someone else may be using.")]
    public Task<ClaimResult> Claim(
        [Description("The script name, as listed by scripts_list.")] string name,
        [Description("How long the claim lasts, in minutes: more than 0, at most 1440 (24 h); fractions allowed (0.5 is 30 s).")] double minutes,
        [Description(ScriptTools.NodeDescription)] string? node = null,
        [Description("Why, for whoever is refused (at most 200 characters), e.g. 'debugging the login bug'.")] string? note = null,
        [Description("true to take over someone else's claim (recorded in audit_list).")] bool? force = null,
        CancellationToken cancellationToken = default)
    {
        actors.Force(force);
        return scripts.ClaimAsync(name, node, minutes, note, cancellationToken);
    }

    [McpServerTool(Name = "scripts_release", UseStructuredContent = true), RequiresRole(GatewayRole.Operate)]
    [Description("Ends your claim on a process (scripts_claim), so others may run, stop and restart it again. Someone else's claim needs force: true (recorded). Releasing an unclaimed process changes nothing (claim: null).")]
    public Task<ClaimResult> Release(
        [Description("The script name.")] string name,
        [Description(ScriptTools.NodeDescription)] string? node = null,
        [Description("true to end someone else's claim (recorded in audit_list).")] bool? force = null,
        CancellationToken cancellationToken = default)
    {
        actors.Force(force);
        return scripts.ReleaseAsync(name, node, cancellationToken);
    }
}
