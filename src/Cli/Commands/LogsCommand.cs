using Brummer.Client;
using System.CommandLine;
using System.Text.Json;
using Brummer.Gateway.Contracts;

namespace Brummer.Cli.Commands;

/// <summary><c>brummer logs NAME [--node N] [--lines N] [-f]</c>: a script's output, optionally followed as it is printed.</summary>
internal static class LogsCommand
{
    private static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(500);

    public static Command Create(GatewayAccess gateway, Option<string?> node)
    {
        var name = new Argument<string>("NAME") { Description = "The script whose output to show (see `brummer scripts`)." };
        var lines = new Option<int>("--lines", "-l")
        {
            Description = "How many of the last lines to show first (max 1000).",
            DefaultValueFactory = _ => 100,
        };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines as the process prints them, until Ctrl+C." };
        var command = new Command("logs", "Shows a script's output (stdout and stderr, colours as printed); -f follows it.") { name, node, lines, follow };
        command.SetAction((parse, ct) => ClientCommands.Call(gateway, parse, async http =>
        {
            var path = $"api/logs/{GatewayRequests.ProcessPath(parse.GetValue(name)!, parse.GetValue(node))}";
            var tail = await GetAsync(http, $"{path}{GatewayRequests.Query(("lines", parse.GetValue(lines).ToString(System.Globalization.CultureInfo.InvariantCulture)))}", ct);
            Print(tail);
            if (!parse.GetValue(follow))
            {
                return tail.Lines.Count == 0 ? "(no output yet)" : string.Empty;
            }

            var last = tail.LastSeq;
            try
            {
                while (true)
                {
                    await Task.Delay(FollowInterval, ct);
                    var next = await GetAsync(http, $"{path}{GatewayRequests.Query(("after_seq", last.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("lines", "1000"))}", ct);
                    Print(next);
                    last = next.LastSeq;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return string.Empty; // Ctrl+C ends following; that is not an error.
            }
        }));
        return command;
    }

    /// <summary><c>brummer errors [--name N] [--node N] [--run N | --all]</c>: detected errors with their whole blocks, oldest first.</summary>
    public static Command CreateErrors(GatewayAccess gateway, Option<string?> node, Option<bool> json)
    {
        var name = new Option<string?>("--name") { Description = "Only this script's errors." };
        var run = new Option<int?>("--run") { Description = "Only this run of the script (needs --name), as numbered by `brummer history`." };
        var all = new Option<bool>("--all") { Description = "Every run's errors, not only each process's current (or last) run." };
        var command = new Command("errors", "Lists the errors processes printed in their current (or last) run on every node, each with its whole stack trace and repeat count.") { name, node, run, all, json };
        command.SetAction((parse, ct) => ClientCommands.Call(gateway, parse, async http =>
        {
            var query = GatewayRequests.Query(
                ("name", parse.GetValue(name)),
                ("node", parse.GetValue(node)),
                ("run", parse.GetValue(run)?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("all", parse.GetValue(all) ? "true" : null));
            var body = await GatewayRequests.GetAsync(http, $"api/errors{query}", ct);
            if (parse.GetValue(json))
            {
                return body;
            }

            var result = JsonSerializer.Deserialize<ErrorsResult>(body)!;
            var text = new System.Text.StringBuilder();
            foreach (var error in result.Errors)
            {
                var repeats = error.Count > 1 ? $", {error.Count} times until {error.LastTime:HH:mm:ss}" : string.Empty;
                text.AppendLine($"{error.Node}/{error.Name} run {error.Run} — {error.Kind} error at {error.Time:HH:mm:ss}{repeats}");
                foreach (var line in error.Block)
                {
                    text.Append("    ").AppendLine(line);
                }

                text.AppendLine();
            }

            if (result.UnreachableNodes.Count > 0)
            {
                text.AppendLine($"(not asked: {string.Join(", ", result.UnreachableNodes)} — lost or not answering)");
            }

            return result.Errors.Count == 0 && result.UnreachableNodes.Count == 0 ? "No errors found." : text.ToString().TrimEnd();
        }));
        return command;
    }

    private static async Task<LogTailResult> GetAsync(HttpClient http, string path, CancellationToken ct)
    {
        var body = await GatewayRequests.GetAsync(http, path, ct);
        return JsonSerializer.Deserialize<LogTailResult>(body)!;
    }

    private static void Print(LogTailResult tail)
    {
        foreach (var line in tail.Lines)
        {
            (line.Stream == "stderr" ? Console.Error : Console.Out).WriteLine(line.Text);
        }
    }
}
