using Brummer.Gateway.Contracts;
using Brummer.Gateway.Events;
using Brummer.Gateway.Security;
using Brummer.Gateway.Services;
using Brummer.Gateway.Traffic;
using Brummer.Gateway.Waiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Apis;

/// <summary>The JSON API: the same services as the MCP tools, for curl and the CLI. Refusals are RFC 7807 problem details.</summary>
public static class ProcessesApi
{
    private const string NodeFilter = "Only this node. Omit for every node.";
    private const string NodeInPath = "The node (machine) name, as listed by /api/nodes.";
    private const string ScriptInPath = "The script name, as listed by /api/scripts. A name with '/' (a workspace package's script) is sent with it escaped as %2F.";
    private const string ScriptOnDefaultNode = ScriptInPath + " On the default node: the only one, or the gateway's configured default.";
    private const string Lines = "How many of the last lines (default 100, 1 to 1000).";
    private const string AfterSeq = "Only lines after this sequence number (the last_seq of a previous answer).";
    private const string WaitFor = "What to wait for: running, ready (running and its readiness probe passed, or it has none), exited (stopped, succeeded or failed after having run), succeeded (exit 0) or failed.";
    private const string WaitTimeout = "Seconds to wait at most (default 30, 0 to 600; 0 looks once).";
    private const string RunWait = "run only: ready or running, to answer only once the process is. Omit to answer as soon as it is started.";
    private const string RunTimeout = "run only, with wait: " + WaitTimeout;
    private const string Force = "true to act even though someone else claimed the process; the audit records whose claim was overridden.";
    private const string ClaimMinutes = "How long the claim lasts, in minutes: more than 0, at most 1440 (24 h); fractions allowed (0.5 is 30 s).";
    private const string ClaimNote = "Why, for whoever is refused (one line, at most 200 characters).";

    private static readonly string[] WaitConditionNames = ["running", "ready", "exited", "succeeded", "failed"];
    private static readonly string[] RunWaitNames = ["running", "ready"];
    private static readonly string[] ActionNames = ["run", "stop", "restart"];

    public static IEndpointRouteBuilder MapProcessesApi(this IEndpointRouteBuilder app, bool readOnly = false)
    {
        var api = app.MapGroup("/api")
            .AddEndpointFilter(RefusalsAsProblems)
            .Refuses(Refusals.NoToken, Refusals.FromWebPage, Refusals.Busy);
        var reads = api.MapGroup(string.Empty).RequireAuthorization(RoleAuthorization.Policy(GatewayRole.Read));
        var cached = reads.MapGroup(string.Empty).WithMetadata(new LaneAttribute(RequestLane.Reads));
        cached.MapGet("/scripts", (ScriptsService s, string? node) => s.ListScripts(node))
            .Documented("scripts_list", "List the scripts that can be run", "The scripts every node (or one node) can run, with the command each runs and where it was found. Answered from the gateway's cache.")
            .WithTags("processes")
            .Parameter("node", "Only this node's scripts. Omit for every node.")
            .Refuses(Refusals.BadArgument, Refusals.UnknownNode, Refusals.NoNodeYet);
        cached.MapGet("/processes", (ScriptsService s, string? name, string? node, string? status, string? changed_since) =>
            s.Status(StatusQuery.Parse(name, node, status, changed_since)))
            .Documented(
                "scripts_status",
                "Status of every process",
                "The processes of every script that has run, on every node: status, health, pid, times, exit code, restarts, last output line, what it waits for; and each node's freshness. " +
                "Cheap (answered from the gateway's cache, no node is called): poll it freely, narrowed by status and changed_since.")
            .WithTags("processes")
            .Parameter("name", "Only this script. Omit for all.")
            .Parameter("node", NodeFilter)
            .Parameter("status", "Only processes in these statuses, comma-separated (pending, starting, running, stopping, stopped, succeeded, failed, restarting, lost); '!' first for every other one, e.g. !running.")
            .Parameter("changed_since", "The cursor of an earlier answer: only the processes that changed after it.")
            .Refuses(Refusals.BadArgument, Refusals.UnknownNode, Refusals.UnknownScript, Refusals.NoNodeYet);
        cached.MapGet("/nodes", (ScriptsService s) => s.Nodes())
            .Documented("nodes_list", "List the nodes of the cluster", "Each node's address, status (up, unresponsive, left or lost) and process count per status, and whether the cluster's membership store is healthy.")
            .WithTags("nodes");

        var logs = reads.MapGroup(string.Empty).WithMetadata(new LaneAttribute(RequestLane.Logs));
        // Numbers and flags arrive as text and are parsed by QueryValues, so a bad one gets the same kind of message as
        // over MCP instead of the framework's bare 400.
        logs.MapGet("/logs", (LogsService l, string? query, string? regex, string? name, string? node, string? stream, string? since, string? limit, CancellationToken ct) =>
            l.SearchAsync(query, QueryValues.Flag(regex, "regex"), name, node, stream, since, QueryValues.Int(limit, "limit"), ct))
            .Documented(
                "logs_search",
                "Search what processes printed",
                "Lines processes printed, newest first, across every node (or one). Plain text match by default (case-insensitive); regex=true for a .NET regular expression (run with a time limit). " +
                "Colour codes are ignored when matching. The limit applies per node, then results are merged; nodes that cannot be asked in time are named in unreachable_nodes.")
            .WithTags("logs")
            .Parameter("query", "Text to find, or a regular expression with regex=true; at most 4096 characters.", required: true)
            .Parameter("regex", "Treat query as a .NET regular expression.", ValueKind.Flag)
            .Parameter("name", "Only this script's output.")
            .Parameter("node", NodeFilter)
            .Parameter("stream", "Only stdout or stderr.", values: ["stdout", "stderr"])
            .Parameter("since", "Only lines since then: ISO-8601 (2026-11-28T09:30:00Z) or a duration back from now (90s, 10m, 2h, 1d).")
            .Parameter("limit", "Most lines to return (default 100, 1 to 1000).", ValueKind.WholeNumber, 1, Arguments.MaxCount)
            .Refuses(Refusals.BadArgument, Refusals.UnknownNode, Refusals.UnknownScript, Refusals.NoNodeYet);
        logs.MapGet("/logs/{node}/{name}", (LogsService l, string node, string name, string? lines, string? after_seq, CancellationToken ct) =>
            l.TailAsync(Segment(name), Segment(node), QueryValues.Int(lines, "lines"), QueryValues.Long(after_seq, "after_seq"), ct))
            .Documented("logs_tail_on_node", "The last lines of a script's output on a node", "Oldest first. To follow a process, ask again with after_seq set to the last_seq of the previous answer: only the lines printed since.")
            .WithTags("logs")
            .Parameter("node", NodeInPath)
            .Parameter("name", ScriptInPath)
            .Parameter("lines", Lines, ValueKind.WholeNumber, 1, Arguments.MaxCount)
            .Parameter("after_seq", AfterSeq, ValueKind.LongNumber, 0)
            .Refuses(Refusals.BadArgument, Refusals.NodeRefused, Refusals.UnknownNode, Refusals.UnknownScript, Refusals.NoNodeYet, Refusals.NodeUnavailable, Refusals.NodeTimedOut);
        logs.MapGet("/logs/{name}", (LogsService l, string name, string? lines, string? after_seq, CancellationToken ct) =>
            l.TailAsync(Segment(name), null, QueryValues.Int(lines, "lines"), QueryValues.Long(after_seq, "after_seq"), ct))
            .Documented("logs_tail", "The last lines of a script's output on the default node", "As /api/logs/{node}/{name}, on the default node (the only one, or the gateway's configured default).")
            .WithTags("logs")
            .Parameter("name", ScriptOnDefaultNode)
            .Parameter("lines", Lines, ValueKind.WholeNumber, 1, Arguments.MaxCount)
            .Parameter("after_seq", AfterSeq, ValueKind.LongNumber, 0)
            .Refuses(Refusals.BadArgument, Refusals.NodeRequired, Refusals.NodeRefused, Refusals.UnknownScript, Refusals.NoNodeYet, Refusals.NodeUnavailable, Refusals.NodeTimedOut);
        logs.MapGet("/errors", (LogsService l, string? name, string? node, string? limit, string? run, string? all, CancellationToken ct) =>
            l.ErrorsAsync(name, node, QueryValues.Int(limit, "limit"), QueryValues.Int(run, "run"), QueryValues.Flag(all, "all"), ct))
            .Documented(
                "errors_list",
                "Errors processes printed",
                "Each error with its whole block (message and stack trace), script and node, the run that printed it, when it first and last appeared and how many times it recurred; oldest first. " +
                "By default only each process's current (or last) run; run=N for an earlier run of one script, all=true for every run. " +
                "Recognises Node.js/JS stack traces, TypeScript compiler errors, .NET exceptions, Python tracebacks, Go and Rust panics, Java exceptions.")
            .WithTags("logs")
            .Parameter("name", "Only this script's errors.")
            .Parameter("node", NodeFilter)
            .Parameter("limit", "Most errors to return (default 20, 1 to 1000).", ValueKind.WholeNumber, 1, Arguments.MaxCount)
            .Parameter("run", "Only this run of the script (needs name), as numbered in its history. Omit for the current run.", ValueKind.WholeNumber, 1)
            .Parameter("all", "Every run's errors, not only the current run's.", ValueKind.Flag)
            .Refuses(Refusals.BadArgument, Refusals.UnknownNode, Refusals.UnknownScript, Refusals.NoNodeYet);
        logs.MapGet("/urls", (LogsService l, string? node, CancellationToken ct) => l.UrlsAsync(node, ct))
            .Documented("urls_list", "URLs processes printed", "Dev servers announcing where they listen: once per origin, with node and script; 0.0.0.0 and [::] are rewritten to localhost.")
            .WithTags("logs")
            .Parameter("node", NodeFilter)
            .Refuses(Refusals.BadArgument, Refusals.UnknownNode, Refusals.NoNodeYet);

        logs.MapGet("/processes/{node}/{name}/history", (RecordsService r, string node, string name, CancellationToken ct) => r.HistoryAsync(Segment(name), Segment(node), ct))
            .Documented(
                "scripts_history_on_node",
                "The last runs of a script's process on a node",
                "Its last 20 runs, newest first: run number, start, end, duration, outcome, exit code, errors detected, who started it (token or client name, policy for a restart by policy) and why. Kept by the node.")
            .WithTags("processes")
            .Parameter("node", NodeInPath)
            .Parameter("name", ScriptInPath)
            .Refuses(Refusals.BadArgument, Refusals.NodeRefused, Refusals.UnknownNode, Refusals.UnknownScript, Refusals.NoNodeYet, Refusals.NodeUnavailable, Refusals.NodeTimedOut);
        logs.MapGet("/audit", (RecordsService r, string? node, string? limit, CancellationToken ct) => r.AuditAsync(node, QueryValues.Int(limit, "limit"), ct))
            .Documented(
                "audit_list",
                "Who did what",
                "Every run, stop, restart and reload asked of the nodes, newest first: who asked (token name, MCP client name or CLI user@host), when, on which node and process, and how it went. Each node keeps its last 1,000.")
            .WithTags("processes")
            .Parameter("node", NodeFilter)
            .Parameter("limit", "Most entries to return (default 50, 1 to 1000).", ValueKind.WholeNumber, 1, Arguments.MaxCount)
            .Refuses(Refusals.BadArgument, Refusals.UnknownNode, Refusals.NoNodeYet);
        logs.MapGet("/processes/{name}/history", (RecordsService r, string name, CancellationToken ct) => r.HistoryAsync(Segment(name), null, ct))
            .Documented("scripts_history", "The last runs of a script's process on the default node", "As /api/processes/{node}/{name}/history, on the default node (the only one, or the gateway's configured default).")
            .WithTags("processes")
            .Parameter("name", ScriptOnDefaultNode)
            .Refuses(Refusals.BadArgument, Refusals.NodeRequired, Refusals.NodeRefused, Refusals.UnknownScript, Refusals.NoNodeYet, Refusals.NodeUnavailable, Refusals.NodeTimedOut);

        // Waiting is a read, but a long one: a lane of its own, so it never holds a status read's permit.
        var waits = reads.MapGroup(string.Empty).WithMetadata(new LaneAttribute(RequestLane.Waits));
        waits.MapGet("/processes/{node}/{name}/wait", (WaitService w, string node, string name, string? @for, string? timeout, CancellationToken ct) =>
            WaitAsync(w, name, node, @for, timeout, ct))
            .Documented(
                "wait_for_on_node",
                "Wait until a script's process on a node reaches a state",
                "Answers as soon as the state comes (no polling), at once with 409 or 503 when it can no longer come, and with 504 at the timeout, saying what the process is doing and waits for. " +
                "A process that has not run yet is waited for.")
            .WithTags("processes")
            .Parameter("node", NodeInPath)
            .Parameter("name", ScriptInPath)
            .Parameter("for", WaitFor, values: WaitConditionNames, required: true)
            .Parameter("timeout", WaitTimeout, ValueKind.WholeNumber, 0, Arguments.MaxWaitSeconds)
            .Refuses(Refusals.BadArgument, Refusals.UnknownNode, Refusals.UnknownScript, Refusals.NoNodeYet, Refusals.WaitCannotHappen, Refusals.WaitNodeGone, Refusals.WaitTimedOut);
        waits.MapGet("/processes/{name}/wait", (WaitService w, string name, string? @for, string? timeout, CancellationToken ct) =>
            WaitAsync(w, name, null, @for, timeout, ct))
            .Documented("wait_for", "Wait until a script's process on the default node reaches a state", "As /api/processes/{node}/{name}/wait, on the default node (the only one, or the gateway's configured default).")
            .WithTags("processes")
            .Parameter("name", ScriptOnDefaultNode)
            .Parameter("for", WaitFor, values: WaitConditionNames, required: true)
            .Parameter("timeout", WaitTimeout, ValueKind.WholeNumber, 0, Arguments.MaxWaitSeconds)
            .Refuses(Refusals.BadArgument, Refusals.NodeRequired, Refusals.UnknownScript, Refusals.NoNodeYet, Refusals.WaitCannotHappen, Refusals.WaitNodeGone, Refusals.WaitTimedOut);

        // A stream lasts as long as its client: in the waits' lane, which bounds how many are open without a queue.
        waits.MapGet("/events", (HttpContext context, ClusterEventFeed feed, IOptions<GatewayOptions> options, ILoggerFactory loggers, string? since, CancellationToken ct) =>
            EventStream.WriteAsync(context, feed, since, options.Value.EventsHeartbeat, loggers.CreateLogger(typeof(EventStream)), ct))
            .Documented(
                "events",
                "Live changes, as server-sent events",
                "A text/event-stream of what changes, as it changes (no polling): event 'process' (the process as in /api/processes) when a process changes, " +
                "'node' (as in /api/nodes) when a node joins, leaves, is lost or its counts change, 'error' when a process prints new errors, 'process_removed' when a reload removed a script. " +
                "A new stream starts with 'reset' followed by every node and process (the whole picture). Each event has an id: reconnecting with Last-Event-ID (or since=ID) resumes after it, " +
                "or starts with 'reset' again when that is no longer possible. A comment line comes every 15 s while nothing happens. A client that reads too slowly is disconnected; it reconnects and resumes.")
            .WithTags("events")
            .Parameter("since", "The id of the last event seen (as Last-Event-ID, for clients that cannot set headers): resume after it.")
            .Produces<ProcessDto>(StatusCodes.Status200OK, "text/event-stream");

        if (!readOnly)
        {
            var control = api.MapGroup(string.Empty)
                .RequireAuthorization(RoleAuthorization.Policy(GatewayRole.Operate))
                .WithMetadata(new LaneAttribute(RequestLane.Control))
                .Refuses(Refusals.NeedsOperate, Refusals.BodyTooLarge, Refusals.BodyNotJson, Refusals.NodeUnavailable, Refusals.NodeTimedOut);
            control.MapPost("/processes/{node}/{name}/claim", (ScriptsService s, ControlActors a, string node, string name, string? minutes, string? note, string? force, CancellationToken ct) =>
                ClaimAsync(s, a, Segment(name), Segment(node), minutes, note, force, ct))
                .Documented(
                    "scripts_claim_on_node",
                    "Claim a script's process on a node",
                    "Keeps others' hands off it until it lapses: their run, stop and restart are refused (409, 'claimed by X until T: note') unless they pass force=true, which the audit records. " +
                    "The holder acts freely; claiming again renews it. Status shows it as claim.")
                .WithTags("processes")
                .Parameter("node", NodeInPath)
                .Parameter("name", ScriptInPath)
                .Parameter("minutes", ClaimMinutes, ValueKind.Number, required: true)
                .Parameter("note", ClaimNote)
                .Parameter("force", "true to take over someone else's claim (recorded).", ValueKind.Flag)
                .Refuses(Refusals.Claimed, Refusals.BadArgument, Refusals.NodeRefused, Refusals.UnknownNode, Refusals.UnknownScript, Refusals.NoNodeYet);
            control.MapPost("/processes/{name}/claim", (ScriptsService s, ControlActors a, string name, string? minutes, string? note, string? force, CancellationToken ct) =>
                ClaimAsync(s, a, Segment(name), null, minutes, note, force, ct))
                .Documented("scripts_claim", "Claim a script's process on the default node", "As /api/processes/{node}/{name}/claim, on the default node (the only one, or the gateway's configured default).")
                .WithTags("processes")
                .Parameter("name", ScriptOnDefaultNode)
                .Parameter("minutes", ClaimMinutes, ValueKind.Number, required: true)
                .Parameter("note", ClaimNote)
                .Parameter("force", "true to take over someone else's claim (recorded).", ValueKind.Flag)
                .Refuses(Refusals.Claimed, Refusals.BadArgument, Refusals.NodeRequired, Refusals.NodeRefused, Refusals.UnknownScript, Refusals.NoNodeYet);
            control.MapDelete("/processes/{node}/{name}/claim", (ScriptsService s, ControlActors a, string node, string name, string? force, CancellationToken ct) =>
                ReleaseAsync(s, a, Segment(name), Segment(node), force, ct))
                .Documented("scripts_release_on_node", "Release a claim on a script's process on a node", "Ends the caller's claim; someone else's needs force=true (recorded). An unclaimed process answers claim: null.")
                .WithTags("processes")
                .Parameter("node", NodeInPath)
                .Parameter("name", ScriptInPath)
                .Parameter("force", "true to end someone else's claim (recorded).", ValueKind.Flag)
                .Refuses(Refusals.Claimed, Refusals.BadArgument, Refusals.NodeRefused, Refusals.UnknownNode, Refusals.UnknownScript, Refusals.NoNodeYet);
            control.MapDelete("/processes/{name}/claim", (ScriptsService s, ControlActors a, string name, string? force, CancellationToken ct) =>
                ReleaseAsync(s, a, Segment(name), null, force, ct))
                .Documented("scripts_release", "Release a claim on a script's process on the default node", "As DELETE /api/processes/{node}/{name}/claim, on the default node.")
                .WithTags("processes")
                .Parameter("name", ScriptOnDefaultNode)
                .Parameter("force", "true to end someone else's claim (recorded).", ValueKind.Flag)
                .Refuses(Refusals.Claimed, Refusals.BadArgument, Refusals.NodeRequired, Refusals.NodeRefused, Refusals.UnknownScript, Refusals.NoNodeYet);
            control.MapPost("/processes/{node}/{name}/{action}", (ScriptsService s, WaitService w, ControlActors a, string node, string name, string action, string? wait, string? timeout, string? force, CancellationToken ct) =>
                ControlAsync(s, w, a, action, Segment(name), Segment(node), wait, timeout, force, ct))
                .Documented(
                    "scripts_control_on_node",
                    "Run, stop or restart a script on a node",
                    "run starts the script and answers once its OS process exists (already_running when it was; with wait, once it is running or ready); " +
                    "stop ends its whole process tree (SIGTERM, then SIGKILL after the stop timeout) and answers once none of it is left; restart stops it if it runs, then starts it. " +
                    "Answers within the control timeout; a call answered with an error or a timeout never takes effect later.")
                .WithTags("processes")
                .Parameter("node", NodeInPath)
                .Parameter("name", ScriptInPath)
                .Parameter("action", "What to do.", values: ActionNames)
                .Parameter("wait", RunWait, values: RunWaitNames)
                .Parameter("timeout", RunTimeout, ValueKind.WholeNumber, 0, Arguments.MaxWaitSeconds)
                .Parameter("force", Force, ValueKind.Flag)
                .Produces<RunScriptResult>()
                .AnswersOneOf(typeof(RunScriptResult), typeof(ProcessResult))
                .Refuses(Refusals.Claimed, Refusals.BadArgument, Refusals.NeverRan, Refusals.NodeRefused, Refusals.UnknownNode, Refusals.UnknownScript, Refusals.UnknownAction, Refusals.NoNodeYet, Refusals.RunWaitCannotHappen, Refusals.RunWaitTimedOut);
            control.MapPost("/processes/{name}/{action}", (ScriptsService s, WaitService w, ControlActors a, string name, string action, string? wait, string? timeout, string? force, CancellationToken ct) =>
                ControlAsync(s, w, a, action, Segment(name), null, wait, timeout, force, ct))
                .Documented("scripts_control", "Run, stop or restart a script on the default node", "As /api/processes/{node}/{name}/{action}, on the default node (the only one, or the gateway's configured default).")
                .WithTags("processes")
                .Parameter("name", ScriptOnDefaultNode)
                .Parameter("action", "What to do.", values: ActionNames)
                .Parameter("wait", RunWait, values: RunWaitNames)
                .Parameter("timeout", RunTimeout, ValueKind.WholeNumber, 0, Arguments.MaxWaitSeconds)
                .Parameter("force", Force, ValueKind.Flag)
                .Produces<RunScriptResult>()
                .AnswersOneOf(typeof(RunScriptResult), typeof(ProcessResult))
                .Refuses(Refusals.Claimed, Refusals.BadArgument, Refusals.NodeRequired, Refusals.NeverRan, Refusals.NodeRefused, Refusals.UnknownScript, Refusals.UnknownAction, Refusals.NoNodeYet, Refusals.RunWaitCannotHappen, Refusals.RunWaitTimedOut);
            control.MapPost("/reload", (StackService s, string? node, CancellationToken ct) => s.ReloadAsync(node, ct))
                .Documented(
                    "stack_reload",
                    "Re-read brummer.yaml and package.json",
                    "On one node or every reachable one: new processes appear (and start if they autostart), removed ones are stopped, changed running ones restart. " +
                    "A file that does not parse changes nothing; its error (file:line:column) is in the answer.")
                .WithTags("nodes")
                .Parameter("node", "Reload only this node; every reachable node when omitted.")
                .Refuses(Refusals.BadArgument, Refusals.NodeRefused, Refusals.UnknownNode, Refusals.NoNodeYet);
        }

        app.MapGet("/healthz", (Status.ClusterStatusCache cache) => new HealthResult("ok", cache.Current.Nodes.Length))
            .Documented("health", "Liveness", "Answers while the gateway runs, with how many nodes it knows. Needs no token and is open to any host name (for load balancers and container checks).")
            .WithTags("health");
        return app;
    }

    /// <summary>
    /// A name from one path segment. Kestrel decodes every escape in the path except %2F (it would change the
    /// segments), so a name with '/' (a workspace package's script, <c>@shop/web:dev</c>, sent as
    /// <c>%40shop%2Fweb%3Adev</c>) still holds it here. A name written with a literal "%2F" cannot be told apart and is
    /// read as '/': the price of keeping the routes plain.
    /// </summary>
    private static string Segment(string value) => value.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static Task<WaitResult> WaitAsync(WaitService w, string name, string? node, string? condition, string? timeout, CancellationToken ct) =>
        w.WaitAsync(
            name,
            node,
            WaitConditions.Require(condition, "for"),
            Arguments.WaitTimeout(QueryValues.Int(timeout, "timeout"), "timeout"),
            ct);

    private static Task<ClaimResult> ClaimAsync(ScriptsService s, ControlActors a, string name, string? node, string? minutes, string? note, string? force, CancellationToken ct)
    {
        a.Force(QueryValues.Flag(force, "force"));
        return s.ClaimAsync(name, node, QueryValues.Number(minutes, "minutes"), note, ct);
    }

    private static Task<ClaimResult> ReleaseAsync(ScriptsService s, ControlActors a, string name, string? node, string? force, CancellationToken ct)
    {
        a.Force(QueryValues.Flag(force, "force"));
        return s.ReleaseAsync(name, node, ct);
    }

    private static async Task<object> ControlAsync(ScriptsService s, WaitService w, ControlActors a, string action, string name, string? node, string? wait, string? timeout, string? force, CancellationToken ct)
    {
        a.Force(QueryValues.Flag(force, "force"));
        if (action == "stop" && (wait is not null || timeout is not null))
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, "'wait' and 'timeout' apply to run and restart only; stop answers once the process is gone.");
        }

        return action switch
        {
            "run" => await w.RunAsync(s, name, node, wait, QueryValues.Int(timeout, "timeout"), "timeout", ct),
            "stop" => await s.StopAsync(name, node, ct),
            "restart" => await w.RestartAsync(s, name, node, wait, QueryValues.Int(timeout, "timeout"), "timeout", ct),
            _ => throw new GatewayException(GatewayErrorKind.NotFound, $"Unknown action {InputText.Quote(action)}: use run, stop or restart."),
        };
    }

    /// <summary>Every route's refusals, translated once: a <see cref="GatewayException"/> becomes problem details and one information line.</summary>
    private static async ValueTask<object?> RefusalsAsProblems(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (GatewayException ex)
        {
            var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ProcessesApi));
            logger.LogInformation("{Method} {Path} refused ({Kind}): {Reason}", context.HttpContext.Request.Method, InputText.Quote(context.HttpContext.Request.Path.Value), ex.Kind, ex.Message);
            return Problems.For(ex);
        }
    }
}
