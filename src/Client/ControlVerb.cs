using System.Globalization;
using System.Text.Json;
using Brummer.Gateway.Contracts;

namespace Brummer.Client;

/// <summary><c>brummer run|stop|restart NAME</c>: one control request and the line that says how it went.</summary>
public static class ControlVerb
{
    public static IReadOnlyList<string> Actions { get; } = ["run", "stop", "restart"];

    /// <returns>What to print; a start that failed (command not found, bad working directory) throws a <see cref="GatewayCallException"/>, so the shell sees a failed command too.</returns>
    public static async Task<string> TextAsync(HttpClient http, ControlRequest request, bool json, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var forced = ("force", request.Force ? "true" : null);
        var query = request.Wait is { } wait
            ? GatewayRequests.Query(("wait", wait), ("timeout", request.TimeoutSeconds?.ToString(CultureInfo.InvariantCulture)), forced)
            : GatewayRequests.Query(forced);
        var body = await GatewayRequests.PostAsync(http, $"api/processes/{GatewayRequests.ProcessPath(request.Name, request.Node)}/{request.Action}{query}", ct).ConfigureAwait(false);
        var answer = JsonSerializer.Deserialize(body, ClientJson.Default.RunScriptResult)!;
        var process = answer.Process;
        var text = json
            ? body
            : answer.AlreadyRunning
                ? $"{process.Name} on {process.Node} is already running (pid {process.Pid})."
                : $"{process.Name} on {process.Node}: {process.Status}{(process.Pid is { } pid ? $" (pid {pid})" : string.Empty)}{(process.Reason is { } r ? $": {r}" : string.Empty)}";
        return request.Action != "stop" && process.Status == "failed" ? throw new GatewayCallException(text) : text;
    }
}

/// <summary>One run, stop or restart of a script, on its node or the default one.</summary>
/// <param name="Action">run, stop or restart.</param>
/// <param name="Name">The script.</param>
/// <param name="Node">Its node; null when the gateway can tell (the script is on one node only).</param>
/// <param name="Force">Act even though someone else claimed it.</param>
/// <param name="Wait">ready or running: answer once the new process is (run and restart only).</param>
/// <param name="TimeoutSeconds">How long to wait at most, with <paramref name="Wait"/>.</param>
public sealed record ControlRequest(string Action, string Name, string? Node = null, bool Force = false, string? Wait = null, int? TimeoutSeconds = null);
