using System.CommandLine;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Brummer.Gateway.Contracts;

namespace Brummer.Cli.Commands;

/// <summary>Verbs that talk to a running gateway's JSON API.</summary>
internal static class ClientCommands
{
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };

    public static IEnumerable<Command> Create(GatewayAccess gateway)
    {
        var json = new Option<bool>("--json") { Description = "Print the gateway's JSON instead of a table." };
        var nodeFilter = new Option<string?>("--node", "-n") { Description = "Only this node (default: every node for status; the default node for run/stop/restart)." };

        var status = new Command("status", "Shows the status of every script's process on every node.") { json, nodeFilter };
        var statusName = new Option<string?>("--name") { Description = "Only this script." };
        var statusStatus = new Option<string?>("--status") { Description = "Only processes in these statuses, comma-separated (e.g. failed,restarting); '!' first for every other one (e.g. '!running')." };
        status.Options.Add(statusName);
        status.Options.Add(statusStatus);
        status.SetAction((parse, ct) => Call(gateway, parse, async http =>
        {
            var query = Query(("name", parse.GetValue(statusName)), ("node", parse.GetValue(nodeFilter)), ("status", parse.GetValue(statusStatus)));
            var body = await GetAsync(http, $"api/processes{query}", ct);
            if (parse.GetValue(json))
            {
                return body;
            }

            var result = JsonSerializer.Deserialize<StatusResult>(body)!;
            return result.Processes.Count == 0
                ? parse.GetValue(statusStatus) is null && parse.GetValue(statusName) is null
                    ? "No script has run yet. `brummer run NAME` starts one; `brummer scripts` lists them."
                    : "No process matches."
                : Table.Render(
                    ["NODE", "NAME", "STATUS", "HEALTH", "PID", "SINCE", "EXIT", "RESTARTS", "URL", "DETAIL"],
                    result.Processes.Select(p => new[]
                    {
                        p.Node, p.Name, p.Status, p.Health == "none" ? "-" : p.Health, p.Pid?.ToString() ?? "-", Since(p),
                        p.ExitCode?.ToString() ?? "-", p.Restarts.ToString(), Url(p), Table.Clip(Detail(p), 70),
                    }),
                    colouredColumns: [2, 3]);
        }));

        var scripts = new Command("scripts", "Lists the scripts each node can run.") { json, nodeFilter };
        scripts.SetAction((parse, ct) => Call(gateway, parse, async http =>
        {
            var body = await GetAsync(http, $"api/scripts{Query(("node", parse.GetValue(nodeFilter)))}", ct);
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
            var body = await GetAsync(http, "api/nodes", ct);
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
            var body = await GetAsync(http, $"api/urls{Query(("node", parse.GetValue(nodeFilter)))}", ct);
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
            using var response = await http.PostAsync(new Uri($"api/reload{Query(("node", parse.GetValue(nodeFilter)))}", UriKind.Relative), null, ct);
            var body = await EnsureSuccess(response, ct);
            var result = JsonSerializer.Deserialize<StackReloadResult>(body)!;
            var text = parse.GetValue(json) ? body : string.Join(Environment.NewLine, result.Nodes.Select(Describe));
            return result.Nodes.Any(n => n.Error is not null) ? throw new GatewayError(text) : text;
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
        var parts = Part("added", node.Added) + Part("removed", node.Removed) + Part("changed", node.Changed) + Part("restarted", node.Restarted);
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

        command.SetAction((parse, ct) => Call(gateway, parse, async http =>
        {
            var script = Uri.EscapeDataString(parse.GetValue(name)!);
            var target = parse.GetValue(node) is { Length: > 0 } n ? $"{Uri.EscapeDataString(n)}/{script}" : script;
            var forced = ("force", parse.GetValue(force) ? "true" : null);
            var query = Query(forced);
            if (waits && parse.GetValue(wait) is { } condition)
            {
                http.Timeout = WaitCommand.AnswerTime(parse.GetValue(timeout));
                query = Query(("wait", condition), ("timeout", parse.GetValue(timeout)?.ToString(System.Globalization.CultureInfo.InvariantCulture)), forced);
            }
            else if (waits && parse.GetValue(timeout) is not null)
            {
                throw new GatewayError("--timeout applies only with --wait ready|running.");
            }

            using var response = await http.PostAsync(new Uri($"api/processes/{target}/{action}{query}", UriKind.Relative), null, ct);
            var body = await EnsureSuccess(response, ct);
            using var document = JsonDocument.Parse(body);
            var process = document.RootElement.GetProperty("process").Deserialize<ProcessDto>()!;
            var already = document.RootElement.TryGetProperty("already_running", out var a) && a.GetBoolean();
            var text = parse.GetValue(json)
                ? body
                : already
                    ? $"{process.Name} on {process.Node} is already running (pid {process.Pid})."
                    : $"{process.Name} on {process.Node}: {process.Status}{(process.Pid is { } pid ? $" (pid {pid})" : string.Empty)}{(process.Reason is { } r ? $": {r}" : string.Empty)}";

            // A start that failed (command not found, bad working directory) is a failed command for the shell too.
            return action != "stop" && process.Status == "failed" ? throw new GatewayError(text) : text;
        }));
        return command;
    }

    internal static async Task<int> Call(GatewayAccess access, ParseResult parse, Func<HttpClient, Task<string>> action)
    {
        using var http = access.CreateClient(parse);
        var gateway = http.BaseAddress;
        try
        {
            var output = await action(http);
            if (output.Length > 0)
            {
                Console.WriteLine(output);
            }

            return 0;
        }
        catch (GatewayError ex)
        {
            Console.Error.WriteLine($"brummer: {ex.Message}");
            return 1;
        }
        catch (HttpRequestException ex) when (ex.StatusCode is null)
        {
            Console.Error.WriteLine($"brummer: cannot reach the gateway at {gateway} ({ex.Message}). Is `brummer up` running? Use --gateway to point elsewhere.");
            return 1;
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"brummer: the gateway at {gateway} answered {(int?)ex.StatusCode}: {ex.Message}");
            return 1;
        }
    }

    internal static async Task<string> GetAsync(HttpClient http, string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), ct);
        return await EnsureSuccess(response, ct);
    }

    internal static async Task<string> EnsureSuccess(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        if (response.IsSuccessStatusCode)
        {
            return body;
        }

        // The gateway answers refusals as RFC 7807 problem details; its detail is written for the user.
        string? detail = null;
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.ValueKind == JsonValueKind.Object &&
                (problem.RootElement.TryGetProperty("detail", out var text) || problem.RootElement.TryGetProperty("title", out text)) &&
                text.ValueKind == JsonValueKind.String)
            {
                detail = text.GetString();
            }
        }
        catch (JsonException)
        {
        }

        throw new GatewayError(detail ?? $"HTTP {(int)response.StatusCode}: {(body.Length > 200 ? body[..200] + "…" : body)}");
    }

    internal static string Query(params (string Key, string? Value)[] pairs)
    {
        var present = pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? string.Empty : "?" + string.Join('&', present);
    }

    /// <summary>The one thing worth reading about a process: why it waits or failed, else what it last printed.</summary>
    private static string Detail(ProcessDto p) => p.Claim is { } claim ? $"[{ClaimCommand.Describe(claim)}] {DetailOf(p)}".TrimEnd() : DetailOf(p);

    private static string DetailOf(ProcessDto p) => p switch
    {
        { Status: "pending", WaitingFor: { } waiting } => $"waiting for {waiting}",
        { Status: "restarting", NextRestartAt: { } at } => $"next start in {Math.Max(0, (at - DateTime.UtcNow).TotalSeconds):0}s" + (p.Reason is null ? string.Empty : $" ({p.Reason})"),
        { Reason: { } reason } => reason,
        { WaitingFor: { } dependency } => $"dependency {dependency}",
        _ => p.LastLine ?? string.Empty,
    };

    /// <summary>Where it serves: the first URL it printed, and how many more there are (<c>brummer urls</c> lists them).</summary>
    private static string Url(ProcessDto p) => p.Urls.Count switch
    {
        0 => "-",
        1 => p.Urls[0],
        _ => $"{p.Urls[0]} (+{p.Urls.Count - 1})",
    };

    private static string Since(ProcessDto p)
    {
        var at = p.ExitedAt ?? p.StartedAt;
        if (at is null)
        {
            return "-";
        }

        var age = DateTime.UtcNow - at.Value;
        var text = age.TotalSeconds < 60 ? $"{age.TotalSeconds:0}s" : age.TotalMinutes < 60 ? $"{age.TotalMinutes:0}m" : $"{age.TotalHours:0.#}h";
        return $"{text} ago";
    }

    internal sealed class GatewayError(string message) : Exception(message);

    internal static class Table
    {
        public static string Clip(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");

        /// <param name="colouredColumns">Columns of statuses or health, coloured on a terminal (<see cref="StatusColors"/>).</param>
        public static string Render(string[] headers, IEnumerable<string[]> rows, int[]? colouredColumns = null)
        {
            var all = rows.ToList();
            var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
            var text = new StringBuilder();
            Append(text, headers, widths, []);
            foreach (var row in all)
            {
                Append(text, row, widths, colouredColumns ?? []);
            }

            return text.ToString().TrimEnd();
        }

        private static void Append(StringBuilder text, string[] cells, int[] widths, int[] colouredColumns)
        {
            for (var i = 0; i < cells.Length; i++)
            {
                var cell = i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2);
                text.Append(colouredColumns.Contains(i) ? StatusColors.Paint(cell, cells[i]) : cell);
            }

            text.AppendLine();
        }
    }
}
