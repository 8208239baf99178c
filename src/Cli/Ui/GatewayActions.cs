using Brummer.Client;
using System.Text.Json;
using Brummer.Cli.Commands;
using Brummer.Gateway.Contracts;

namespace Brummer.Cli.Ui;

/// <summary>What the live view asks of the gateway besides status: control a process, read its output.</summary>
internal interface IGatewayActions
{
    /// <summary>Runs, stops or restarts a process; answers the outcome in a line for the status bar. Throws on refusal.</summary>
    Task<string> ControlAsync(string node, string name, string action, CancellationToken cancellationToken);

    /// <summary>The last lines of a process's output, or only those after <paramref name="afterSeq"/>.</summary>
    Task<LogTailResult> TailAsync(string node, string name, long? afterSeq, CancellationToken cancellationToken);
}

/// <summary>The JSON API's control and log routes, with the same error mapping as the other client verbs.</summary>
internal sealed class HttpGatewayActions(HttpClient http) : IGatewayActions
{
    public async Task<string> ControlAsync(string node, string name, string action, CancellationToken cancellationToken)
    {
        var body = await GatewayRequests.PostAsync(http, $"api/processes/{GatewayRequests.ProcessPath(name, node)}/{action}", cancellationToken);
        using var document = JsonDocument.Parse(body);
        var process = document.RootElement.GetProperty("process").Deserialize<ProcessDto>()!;
        var already = document.RootElement.TryGetProperty("already_running", out var a) && a.GetBoolean();
        return already
            ? $"{process.Name} on {process.Node} is already running (pid {process.Pid})."
            : $"{action}: {process.Name} on {process.Node} is {process.Status}{(process.Pid is { } pid ? $" (pid {pid})" : string.Empty)}{(process.Reason is { } r ? $": {r}" : string.Empty)}";
    }

    public async Task<LogTailResult> TailAsync(string node, string name, long? afterSeq, CancellationToken cancellationToken)
    {
        var query = afterSeq is { } seq ? $"?after_seq={seq}&lines=1000" : "?lines=500";
        var body = await GatewayRequests.GetAsync(http, $"api/logs/{GatewayRequests.ProcessPath(name, node)}{query}", cancellationToken);
        return JsonSerializer.Deserialize<LogTailResult>(body)!;
    }
}
