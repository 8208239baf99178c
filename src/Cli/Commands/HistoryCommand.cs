using Brummer.Client;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Brummer.Gateway.Contracts;

namespace Brummer.Cli.Commands;

/// <summary><c>brummer history NAME [--node N]</c>: a script's last runs, newest first (the CLI face of scripts_history).</summary>
internal static class HistoryCommand
{
    public static Command Create(GatewayAccess gateway, Option<string?> node, Option<bool> json)
    {
        var name = new Argument<string>("NAME") { Description = "The script name (see `brummer scripts`)." };
        var command = new Command("history", "Shows a script's last 20 runs, newest first: when each started and ended, how it exited, the errors it printed, and who started it.") { name, node, json };
        command.SetAction((parse, ct) => ClientCommands.Call(gateway, parse, async http =>
        {
            var target = GatewayRequests.ProcessPath(parse.GetValue(name)!, parse.GetValue(node));
            var body = await GatewayRequests.GetAsync(http, $"api/processes/{target}/history", ct);
            if (parse.GetValue(json))
            {
                return body;
            }

            var result = JsonSerializer.Deserialize<HistoryResult>(body)!;
            return result.Runs.Count == 0
                ? $"{result.Name} has not run on {result.Node} yet."
                : Table.Render(
                    ["RUN", "OUTCOME", "STARTED", "ENDED", "EXIT", "ERRORS", "DURATION", "STARTED BY"],
                    result.Runs.Select(r => new[]
                    {
                        r.Run.ToString(CultureInfo.InvariantCulture),
                        r.Outcome,
                        Time(r.StartedAt),
                        r.EndedAt is { } ended ? Time(ended) : "-",
                        r.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-",
                        r.ErrorCount.ToString(CultureInfo.InvariantCulture),
                        Duration(TimeSpan.FromMilliseconds(r.DurationMs)),
                        r.StartedBy,
                    }),
                    colouredColumns: [1]);
        }));
        return command;
    }

    private static string Time(DateTime utc) => utc.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Duration(TimeSpan span) =>
        span.TotalSeconds < 60 ? $"{span.TotalSeconds:0.0}s"
        : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s"
        : $"{(int)span.TotalHours}h{span.Minutes:00}m";
}
