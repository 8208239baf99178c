using System.CommandLine;
using System.Text.Json;
using Brummer.Client;
using Brummer.Gateway.Contracts;

namespace Brummer.Cli.Commands;

/// <summary>Verbs that talk to a running gateway's JSON API.</summary>
internal static class ClientCommands
{
    public static IEnumerable<Command> Create(GatewayAccess gateway)
    {
        var json = new Option<bool>("--json") { Description = "Print the gateway's JSON instead of a table." };
        var nodeFilter = new Option<string?>("--node", "-n") { Description = "Only this node (default: every node for status; the default node for run/stop/restart)." };

        var status = new Command("status", "Shows the status of every script's process on every node.") { json, nodeFilter };
        var statusName = new Option<string?>("--name") { Description = "Only this script." };
        var statusStatus = new Option<string?>("--status") { Description = "Only processes in these statuses, comma-separated (e.g. failed,restarting); '!' first for every other one (e.g. '!running')." };
        status.Options.Add(statusName);
        status.Options.Add(statusStatus);
        status.SetAction((parse, ct) => Call(gateway, parse, http => StatusVerb.TextAsync(
            http,
            new StatusFilter(parse.GetValue(statusName), parse.GetValue(nodeFilter), parse.GetValue(statusStatus)),
            parse.GetValue(json),
            ct)));

        var scripts = new Command("scripts", "Lists the scripts each node can run.") { json, nodeFilter };
        scripts.SetAction((parse, ct) => Call(gateway, parse, async http =>
        {
            var body = await GatewayRequests.GetAsync(http, $"api/scripts{GatewayRequests.Query(("node", parse.GetValue(nodeFilter)))}", ct);
            if (parse.GetValue(json))
            {
                return body;
            }

            var result = JsonSerializer.Deserialize<ScriptsResult>(body)!;
            return Table.Render(["NODE", "NAME", "COMMAND", "SOURCE"], result.Scripts.Select(s => new[] { s.Node, s.Name, Table.Clip(s.Command, 60), s.Source }));
        }));

        var nodes = new Command("nodes", "Lists the cluster's nodes and how many processes each has per status.") { json };
        nodes.SetAction((parse, ct) => Call(gateway, parse, async http =>
        {
            var body = await GatewayRequests.GetAsync(http, "api/nodes", ct);
            if (parse.GetValue(json))
            {
                return body;
            }

            var result = JsonSerializer.Deserialize<NodesResult>(body)!;
            var table = Table.Render(["NODE", "ADDRESS", "STATUS", "LAST HEARD", "PROCESSES"], result.Nodes.Select(n => new[]
            {
                n.Name,
                n.Address,
                n.Status,
                $"{n.AgeMs / 1000.0:0.0}s ago",
                n.Processes.Count == 0 ? "-" : string.Join(", ", n.Processes.Select(kv => $"{kv.Key}: {kv.Value}")),
            }), colouredColumns: [2]);
            // Only when it matters: a healthy store is the normal case and needs no line.
            return result.Membership is { Status: "degraded" } membership
                ? $"{table}{Environment.NewLine}membership degraded: {membership.Reason}"
                : table;
        }));

        var urls = new Command("urls", "Lists the URLs processes printed (dev servers announcing where they listen), per node and script.") { json, nodeFilter };
        urls.SetAction((parse, ct) => Call(gateway, parse, async http =>
        {
            var body = await GatewayRequests.GetAsync(http, $"api/urls{GatewayRequests.Query(("node", parse.GetValue(nodeFilter)))}", ct);
            if (parse.GetValue(json))
            {
                return body;
            }

            var result = JsonSerializer.Deserialize<UrlsResult>(body)!;
            var table = result.Urls.Count == 0
                ? "No process has printed a URL yet."
                : Table.Render(["NODE", "NAME", "URL"], result.Urls.Select(u => new[] { u.Node, u.Name, u.Url }));
            return result.UnreachableNodes.Count == 0
                ? table
                : $"{table}{Environment.NewLine}not asked (unreachable): {string.Join(", ", result.UnreachableNodes)}";
        }));

        var reload = new Command("reload", "Re-reads brummer.yaml and package.json on every node (or --node): new processes appear, removed ones stop, changed running ones restart. Nodes also watch these files; a file that does not parse changes nothing and is reported (exit 1).") { json, nodeFilter };
        reload.SetAction((parse, ct) => Call(gateway, parse, async http =>
        {
            var body = await GatewayRequests.PostAsync(http, $"api/reload{GatewayRequests.Query(("node", parse.GetValue(nodeFilter)))}", ct);
            var result = JsonSerializer.Deserialize<StackReloadResult>(body)!;
            var text = parse.GetValue(json) ? body : string.Join(Environment.NewLine, result.Nodes.Select(Describe));
            return result.Nodes.Any(n => n.Error is not null) ? throw new GatewayCallException(text) : text;
        }));

        return [status, scripts, nodes, urls, reload, LogsCommand.Create(gateway, nodeFilter), LogsCommand.CreateErrors(gateway, nodeFilter, json), AuditCommand.Create(gateway, nodeFilter, json), HistoryCommand.Create(gateway, nodeFilter, json),
            Control("run", "Starts a script (no-op if it is already running); with --wait, returns once it is ready or running.", gateway, json, nodeFilter),
            WaitCommand.Create(gateway, json, nodeFilter),
            Control("stop", "Stops a script and its whole process tree.", gateway, json, nodeFilter),
            Control("restart", "Stops a script if it runs, then starts it again; with --wait, returns once the new run is ready or running.", gateway, json, nodeFilter),
            ClaimCommand.CreateClaim(gateway, nodeFilter, json),
            ClaimCommand.CreateRelease(gateway, nodeFilter, json)];
    }

    private static string Describe(ReloadDto node)
    {
        if (node.Error is { } error)
        {
            return $"{node.Node}: not reloaded, still running the previous definitions: {error}";
        }

        static string Part(string what, IReadOnlyList<string> names) => names.Count == 0 ? string.Empty : $"{what} {string.Join(", ", names)}; ";
        var parts = Part("added", node.Added) + Part("removed", node.Removed) + Part("changed", node.Changed) + Part("restarted", node.Restarted) + Part("claimed, left running on the old definition until restarted", node.Held);
        return $"{node.Node}: {(parts.Length == 0 ? "nothing changed" : parts.TrimEnd(' ', ';'))}";
    }

    private static Command Control(string action, string description, GatewayAccess gateway, Option<bool> json, Option<string?> node)
    {
        var name = new Argument<string>("NAME") { Description = "The script name (see `brummer scripts`)." };
        var command = new Command(action, description) { name, json, node };
        // A run or restart can wait: for its (new) process to be ready (probe passed, or running without one) or running.
        var waits = action != "stop";
        var wait = new Option<string?>("--wait") { Description = "Return only once the process is ready (its readiness probe passed, or it runs and has none) or running; exits 1 if it fails first or the timeout passes." };
        wait.AcceptOnlyFromAmong("ready", "running");
        var timeout = WaitCommand.TimeoutOption();
        var force = ClaimCommand.ForceOption("Act even though someone else claimed the process (`brummer claim`); the audit records whose claim you overrode.");
        command.Options.Add(force);
        if (waits)
        {
            command.Options.Add(wait);
            command.Options.Add(timeout);
        }

        command.SetAction((parse, ct) => Call(gateway, parse, http =>
        {
            var condition = waits ? parse.GetValue(wait) : null;
            var seconds = waits ? parse.GetValue(timeout) : null;
            if (condition is null && seconds is not null)
            {
                throw new GatewayCallException("--timeout applies only with --wait ready|running.");
            }

            if (condition is not null)
            {
                http.Timeout = WaitCommand.AnswerTime(seconds);
            }

            var request = new ControlRequest(action, parse.GetValue(name)!, parse.GetValue(node), parse.GetValue(force), condition, seconds);
            return ControlVerb.TextAsync(http, request, parse.GetValue(json), ct);
        }));
        return command;
    }

    internal static async Task<int> Call(GatewayAccess access, ParseResult parse, Func<HttpClient, Task<string>> action)
    {
        using var http = access.CreateClient(parse);
        return await GatewayCall.RunAsync(http, action);
    }
}
