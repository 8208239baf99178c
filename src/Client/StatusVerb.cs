using System.Text.Json;
using Brummer.Gateway.Contracts;

namespace Brummer.Client;

/// <summary><c>brummer status</c>: every process on every node (or those the filters keep), as a table or the raw JSON.</summary>
public static class StatusVerb
{
    public static async Task<string> TextAsync(HttpClient http, StatusFilter filter, bool json, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var query = GatewayRequests.Query(("name", filter.Name), ("node", filter.Node), ("status", filter.Status));
        var body = await GatewayRequests.GetAsync(http, $"api/processes{query}", ct).ConfigureAwait(false);
        return json ? body : Render(JsonSerializer.Deserialize(body, ClientJson.Default.StatusResult)!, filter);
    }

    public static string Render(StatusResult result, StatusFilter filter)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(filter);
        return result.Processes.Count == 0
            ? filter.Status is null && filter.Name is null
                ? "No script has run yet. `brummer run NAME` starts one; `brummer scripts` lists them."
                : "No process matches."
            : Table.Render(
                ["NODE", "NAME", "STATUS", "HEALTH", "PID", "SINCE", "EXIT", "RESTARTS", "URL", "DETAIL"],
                result.Processes.Select(p => new[]
                {
                    p.Node, p.Name, p.Status, p.Health == "none" ? "-" : p.Health, p.Pid?.ToString() ?? "-", ProcessText.Since(p),
                    p.ExitCode?.ToString() ?? "-", p.Restarts.ToString(), ProcessText.Url(p), Table.Clip(ProcessText.Detail(p), 70),
                }),
                colouredColumns: [2, 3]);
    }
}

/// <summary>Which processes <c>brummer status</c> shows; null keeps every one.</summary>
/// <param name="Name">Only this script.</param>
/// <param name="Node">Only this node.</param>
/// <param name="Status">Only these statuses, comma-separated, or '!' first for every other one.</param>
public sealed record StatusFilter(string? Name = null, string? Node = null, string? Status = null);
