using Brummer.Client;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Brummer.Gateway.Contracts;

namespace Brummer.Cli.Commands;

/// <summary><c>brummer audit [--node N] [--limit 50]</c>: who ran, stopped, restarted or reloaded what, newest first.</summary>
internal static class AuditCommand
{
    public static Command Create(GatewayAccess gateway, Option<string?> node, Option<bool> json)
    {
        var limit = new Option<int?>("--limit") { Description = "Most entries to show (default 50, 1 to 1000)." };
        var command = new Command("audit", "Shows who ran, stopped, restarted, reloaded, claimed or released what on every node (or --node), newest first.") { node, limit, json };
        command.SetAction((parse, ct) => ClientCommands.Call(gateway, parse, async http =>
        {
            var query = GatewayRequests.Query(("node", parse.GetValue(node)), ("limit", parse.GetValue(limit)?.ToString(CultureInfo.InvariantCulture)));
            var body = await GatewayRequests.GetAsync(http, $"api/audit{query}", ct);
            if (parse.GetValue(json))
            {
                return body;
            }

            var result = JsonSerializer.Deserialize<AuditResult>(body)!;
            var lines = result.Entries.Select(e =>
                $"{e.Time.ToLocalTime():yyyy-MM-dd HH:mm:ss}  {e.By}  {e.Action}  {e.Node}{(e.Name is null ? string.Empty : "/" + e.Name)}  {e.Outcome}{(e.ForcedOver is { } over ? $" (forced over {over}'s claim)" : string.Empty)}").ToList();
            if (result.UnreachableNodes.Count > 0)
            {
                lines.Add($"(not asked: {string.Join(", ", result.UnreachableNodes)} — lost or not answering)");
            }

            return lines.Count == 0 ? "No actions recorded yet." : string.Join(Environment.NewLine, lines);
        }));
        return command;
    }
}
