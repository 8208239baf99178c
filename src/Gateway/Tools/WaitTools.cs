using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Services;
using Brummer.Gateway.Waiting;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>Waiting for a process instead of polling scripts_status: a read, in a lane of its own (waits are long).</summary>
[McpServerToolType]
public sealed class WaitTools(WaitService waits)
{
    internal const string TimeoutDescription = "Seconds to wait at most (default 30, 0 to 600; 0 looks once).";

    [McpServerTool(Name = "wait_for", ReadOnly = true, UseStructuredContent = true)]
    [SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "The parameter name is the MCP argument name: snake_case like the whole contract.")]
    [Description("Waits until a script's process reaches a state and returns it as soon as it does, instead of polling scripts_status. " +
        "running: status running. ready: running and its readiness probe passed (or it has none). exited: stopped, succeeded or failed after having run. " +
        "succeeded / failed: exited with code 0 / not 0. Answers at once with an error when the state can no longer come " +
        "(the process failed or succeeded and will not run again by itself, or its node is lost), and at the timeout with its current status and what it waits for (waiting_for). " +
        "A process that has not run yet is waited for (start it with scripts_run, or use scripts_run with wait). " +
        "While it waits it sends progress notifications (when the request carries a progress token): at each change of the process and every 10 s. " +
        "Keep timeout_seconds below your MCP client's own request timeout (often 60 s) unless your client resets it on progress, and call again to wait longer.")]
    public Task<WaitResult> WaitFor(
        [Description("The script name, as listed by scripts_list.")] string name,
        [Description("What to wait for: running, ready, exited, succeeded or failed.")] string condition,
        [Description(ScriptTools.NodeDescription)] string? node = null,
        [Description(TimeoutDescription)] int? timeout_seconds = null,
        IProgress<ProgressNotificationValue>? progress = null,
        CancellationToken cancellationToken = default) =>
        waits.WaitAsync(
            name,
            node,
            WaitConditions.Require(condition, "condition"),
            Arguments.WaitTimeout(timeout_seconds, "timeout_seconds"),
            cancellationToken,
            McpWaitProgress.From(progress));
}
