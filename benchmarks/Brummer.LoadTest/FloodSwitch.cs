using System.Net.Http.Json;
using System.Text.Json;

namespace Brummer.LoadTest;

/// <summary>Runs and stops the flood script through the JSON API, as a user would; knows its pid while it runs.</summary>
internal sealed class FloodSwitch(HttpClient http, Uri gateway)
{
    private readonly Uri _run = new(gateway, $"/api/processes/{BrummerCluster.EmbeddedNode}/{BrummerCluster.FloodScript}/run");
    private readonly Uri _stop = new(gateway, $"/api/processes/{BrummerCluster.EmbeddedNode}/{BrummerCluster.FloodScript}/stop");
    private readonly Uri _tail = new(gateway, $"/api/logs/{BrummerCluster.EmbeddedNode}/{BrummerCluster.FloodScript}?lines=1");
    private volatile int _pid;

    public int Pid => _pid;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync(_run, null, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        if (!response.IsSuccessStatusCode || body.GetProperty("process").GetProperty("pid") is not { ValueKind: JsonValueKind.Number } pid)
        {
            throw new InvalidOperationException($"running the flood script: HTTP {(int)response.StatusCode} {body}");
        }

        _pid = pid.GetInt32();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_pid == 0)
        {
            return;
        }

        using var response = await http.PostAsync(_stop, null, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"stopping the flood script: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        _pid = 0;
    }

    /// <summary>The sequence number of the newest line the node has taken in from the flood (they never restart).</summary>
    public async Task<long> LastSequenceAsync(CancellationToken cancellationToken) =>
        (await http.GetFromJsonAsync<JsonElement>(_tail, cancellationToken)).GetProperty("last_seq").GetInt64();
}
