using System.Diagnostics;

namespace Brummer.Telemetry;

/// <summary>
/// The one owner of Brummer's telemetry names: the ActivitySource, the Meter, every instrument, span, event and
/// attribute the node and the gateway emit. Dashboards and alerts are written against these names, so they change
/// only here, and docs/observability.md lists them.
/// </summary>
/// <remarks>
/// Names follow the OpenTelemetry semantic conventions where one exists (<c>process.pid</c>, <c>process.exit.code</c>,
/// <c>log.iostream</c>, <c>http.route</c>, <c>mcp.method.name</c>, <c>gen_ai.tool.name</c>) and sit under
/// <c>brummer.</c> otherwise. Attribute values are low-cardinality by design: names of nodes and scripts, states,
/// outcomes, exit codes; never a pid or free text on a metric.
/// </remarks>
public static class BrummerTelemetry
{
    /// <summary>The name of both Brummer's ActivitySource and its Meter.</summary>
    public const string Name = "Brummer";

    /// <summary>The instrumentation scope of the scripts' output exported as OpenTelemetry logs.</summary>
    public const string ScriptOutputScope = "Brummer.ScriptOutput";

    /// <summary>Spans of process runs and of the control path on the node.</summary>
    public static ActivitySource Source { get; } = new(Name, typeof(BrummerTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Span names.</summary>
    public static class Spans
    {
        /// <summary>One run of a process: from the start until its whole process group is gone (exported when it ends).</summary>
        public const string ProcessRun = "process.run";

        /// <summary>Starting a process: until the OS process exists. Short, so the trace of the call that started a
        /// process shows it at once, while the run's own span is exported only when the run ends.</summary>
        public const string ProcessStart = "process.start";

        /// <summary>Stopping a process on request: the signal to its group until none of it is left.</summary>
        public const string ProcessStop = "process.stop";
    }

    /// <summary>Event names on a <see cref="Spans.ProcessRun"/> span.</summary>
    public static class Events
    {
        /// <summary>Its readiness probe passed (or it has none and started).</summary>
        public const string Ready = "ready";

        /// <summary>It exited and the restart policy scheduled another run.</summary>
        public const string Restart = "restart";

        /// <summary>Its output showed an error (a block the analysis recognised).</summary>
        public const string ErrorDetected = "error.detected";

        /// <summary>Its probe health changed to unhealthy or starting (to ready: <see cref="Ready"/>).</summary>
        public const string Health = "health";
    }

    /// <summary>Attribute (tag) names.</summary>
    public static class Attributes
    {
        public const string Node = "brummer.node";
        public const string Script = "brummer.script";
        public const string State = "brummer.process.state";
        public const string Health = "brummer.process.health";
        public const string Outcome = "brummer.outcome";
        public const string Trigger = "brummer.process.trigger";
        public const string Reason = "brummer.reason";
        public const string ErrorKind = "brummer.error.kind";
        public const string ErrorTitle = "brummer.error.title";
        public const string Restarts = "brummer.process.restarts";
        public const string RestartDelay = "brummer.restart.delay_ms";
        public const string Sequence = "brummer.log.sequence";
        public const string NodeStatus = "brummer.node.status";
        public const string Route = "http.route";
        public const string Method = "http.request.method";
        public const string StatusCode = "http.response.status_code";
        public const string McpMethod = "mcp.method.name";
        public const string Tool = "gen_ai.tool.name";
        public const string Pid = "process.pid";
        public const string ExitCode = "process.exit.code";
        public const string Command = "process.command";
        public const string Stream = "log.iostream";
    }

    /// <summary>Why a process started (<see cref="Attributes.Trigger"/>).</summary>
    public static class Triggers
    {
        /// <summary>Asked for: run or restart through MCP, the API, the CLI, or a stack's autostart.</summary>
        public const string Request = "request";

        /// <summary>Its restart policy ran it again after an exit.</summary>
        public const string Restart = "restart";

        /// <summary>It waited for its dependencies, which now hold.</summary>
        public const string Dependencies = "dependencies";

        /// <summary>Its definition changed on reload, so it was restarted with the new one.</summary>
        public const string Reload = "reload";
    }

    /// <summary>How a run ended (<see cref="Attributes.Outcome"/> on <see cref="Node.Exits"/>).</summary>
    public static class Outcomes
    {
        public const string Succeeded = "succeeded";
        public const string Failed = "failed";
        public const string Stopped = "stopped";
        public const string NotStarted = "not_started";
        public const string Ok = "ok";
        public const string Error = "error";
        public const string Refused = "refused";
    }

    /// <summary>An instrument's name, unit (UCUM, as OpenTelemetry writes them) and description.</summary>
    public sealed record InstrumentDefinition(string Name, string Unit, string Description);

    /// <summary>What each node measures of its processes.</summary>
    public static class Node
    {
        public static readonly InstrumentDefinition Processes = new("brummer.process.count", "{process}", "Processes of the node by state: 1 for the state each defined process is in (by node, script, state; idle = never run).");
        public static readonly InstrumentDefinition Starts = new("brummer.process.starts", "{start}", "Process starts, by node, script and trigger (request, restart, dependencies, reload).");
        public static readonly InstrumentDefinition Exits = new("brummer.process.exits", "{exit}", "Process runs that ended, by node, script, outcome (succeeded, failed, stopped, not_started) and exit code.");
        public static readonly InstrumentDefinition Restarts = new("brummer.process.restarts", "{restart}", "Restarts, by node, script and trigger (restart = by policy after an exit, request = asked for).");
        public static readonly InstrumentDefinition HealthTransitions = new("brummer.process.health.transitions", "{transition}", "Changes of a process's probe health, by node, script and the health it changed to.");
        public static readonly InstrumentDefinition Duration = new("brummer.process.run.duration", "s", "How long runs lasted, from start until the process group was gone, by node, script and outcome.");
        public static readonly InstrumentDefinition LogLines = new("brummer.process.log.lines", "{line}", "Output lines captured, by node, script and stream (stdout, stderr).");
        public static readonly InstrumentDefinition LogBytes = new("brummer.process.log.bytes", "By", "Output captured (UTF-16 characters × 2, as held), by node, script and stream.");
        public static readonly InstrumentDefinition LogTruncated = new("brummer.process.log.truncated", "{line}", "Output lines cut at the line limit, by node and script.");
        public static readonly InstrumentDefinition LogEvicted = new("brummer.process.log.evicted", "{line}", "Output lines dropped from the log buffer to stay within its bounds, by node and script.");
        public static readonly InstrumentDefinition Errors = new("brummer.process.errors", "{error}", "Errors detected in output (each occurrence), by node, script and kind (the detector).");
        public static readonly InstrumentDefinition CaptureBacklog = new("brummer.node.capture.backlog", "{loop}", "Output capture loops waiting for a capture thread: above zero, output is read more slowly than it is printed.");
        public static readonly InstrumentDefinition LogExportQueued = new("brummer.process.log.export.queued", "{record}", "Output lines and error records printed and not yet exported as OpenTelemetry logs (lines wait in their process's log buffer).");
        public static readonly InstrumentDefinition LogExportDropped = new("brummer.process.log.export.dropped", "{record}", "Output records not exported as OpenTelemetry logs, by reason (queue_full: the exporter fell behind and the lines left their process's log buffer before it read them; failed: the endpoint refused or was unreachable).");
        public static readonly InstrumentDefinition LogExported = new("brummer.process.log.export.sent", "{record}", "Output records the OTLP endpoint accepted.");
    }

    /// <summary>What each gateway measures of its callers and of its view of the cluster.</summary>
    public static class Gateway
    {
        public static readonly InstrumentDefinition ToolCalls = new("brummer.gateway.mcp.tool_calls", "{call}", "MCP tool calls, by tool and outcome (ok, error = the tool reported an error, refused = access denied).");
        public static readonly InstrumentDefinition ToolDuration = new("brummer.gateway.mcp.tool_call.duration", "s", "How long MCP tool calls took at the gateway, by tool and outcome.");
        public static readonly InstrumentDefinition ApiRequests = new("brummer.gateway.api.requests", "{request}", "JSON API requests, by route, method and status code.");
        public static readonly InstrumentDefinition ApiDuration = new("brummer.gateway.api.request.duration", "s", "How long JSON API requests took at the gateway, by route, method and status code.");
        public static readonly InstrumentDefinition Staleness = new("brummer.gateway.status.staleness", "s", "From a change on a node to the gateway's view showing it (pushed deltas; corrected for the node's clock offset).");
        public static readonly InstrumentDefinition Deltas = new("brummer.gateway.deltas", "{delta}", "Pushed node deltas received, by outcome (applied; stale = heartbeat or late; gap = one was lost, a pull follows).");
        public static readonly InstrumentDefinition Pulls = new("brummer.gateway.pulls", "{pull}", "Full node snapshots pulled, by reason (join, gap, periodic).");
        public static readonly InstrumentDefinition NodesLost = new("brummer.gateway.nodes_lost", "{node}", "Nodes the cluster declared dead while this gateway watched them.");
        public static readonly InstrumentDefinition Nodes = new("brummer.gateway.nodes", "{node}", "Nodes in the gateway's view, by status (up, unresponsive, left, lost).");
        public static readonly InstrumentDefinition PushConnections = new("brummer.gateway.push.connections", "{connection}", "Nodes whose changes reach this gateway over a push connection of their own, read on its own thread; the others' come as Orleans observer calls.");
    }

    /// <summary>Every instrument name, for a host to check a scrape or a test to check coverage.</summary>
    public static IReadOnlyList<InstrumentDefinition> All { get; } =
    [
        Node.Processes, Node.Starts, Node.Exits, Node.Restarts, Node.HealthTransitions, Node.Duration, Node.LogLines,
        Node.LogBytes, Node.LogTruncated, Node.LogEvicted, Node.Errors, Node.CaptureBacklog, Node.LogExportQueued,
        Node.LogExportDropped, Node.LogExported,
        Gateway.ToolCalls, Gateway.ToolDuration, Gateway.ApiRequests, Gateway.ApiDuration, Gateway.Staleness,
        Gateway.Deltas, Gateway.Pulls, Gateway.NodesLost, Gateway.Nodes, Gateway.PushConnections,
    ];
}
