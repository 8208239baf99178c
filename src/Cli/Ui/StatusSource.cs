using Brummer.Client;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Brummer.Cli.Commands;
using Brummer.Gateway.Contracts;

namespace Brummer.Cli.Ui;

/// <summary>
/// Where the live view learns of changes. Polling the status cursor today; a push feed (server-sent events) can take
/// its place without the view noticing.
/// </summary>
internal interface IStatusSource
{
    /// <summary>A first snapshot as soon as the gateway answers, then one per change; a problem whenever it cannot be asked (it keeps trying).</summary>
    IAsyncEnumerable<StatusUpdate> WatchAsync(CancellationToken cancellationToken);
}

/// <summary>Either what the cluster looks like now, or why it cannot be known right now (the last snapshot still stands).</summary>
internal sealed record StatusUpdate(ClusterSnapshot? Snapshot, string? Problem)
{
    public static StatusUpdate Of(ClusterSnapshot snapshot) => new(snapshot, null);

    public static StatusUpdate Failed(string problem) => new(null, problem);
}

/// <summary>
/// Polls <c>GET /api/processes?changed_since=cursor</c>: an unchanged cluster costs one small answer per interval and
/// no redraw. Every <see cref="FullEvery"/> polls, and after any failure or a change in the set of nodes, it reads
/// everything again (processes and scripts), which also drops processes a reload removed.
/// </summary>
internal sealed class PollingStatusSource(HttpClient http, TimeSpan interval, TimeSpan requestTimeout) : IStatusSource
{
    private const int FullEvery = 10;

    public async IAsyncEnumerable<StatusUpdate> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var processes = new Dictionary<(string Node, string Name), ProcessDto>();
        IReadOnlyList<ScriptDto> scripts = [];
        IReadOnlyList<string> nodes = [];
        string? cursor = null;
        var polls = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            StatusUpdate? update;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(requestTimeout);
                var full = cursor is null || polls++ % FullEvery == 0;
                var status = await GetAsync<StatusResult>(full ? "api/processes" : $"api/processes?changed_since={Uri.EscapeDataString(cursor!)}", timeout.Token);
                var nodesNow = status.Nodes.Select(n => n.Name).ToList();
                if (!full && !nodesNow.SequenceEqual(nodes))
                {
                    full = true;
                    status = await GetAsync<StatusResult>("api/processes", timeout.Token);
                    nodesNow = [.. status.Nodes.Select(n => n.Name)];
                }

                if (full)
                {
                    processes.Clear();
                    scripts = (await GetAsync<ScriptsResult>("api/scripts", timeout.Token)).Scripts;
                }

                foreach (var process in status.Processes)
                {
                    processes[(process.Node, process.Name)] = process;
                }

                var changed = full || status.Processes.Count > 0 || cursor is null;
                cursor = status.Cursor;
                nodes = nodesNow;
                update = changed ? StatusUpdate.Of(ClusterSnapshot.Of(processes.Values, scripts, status.AsOf)) : null;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or GatewayCallException or JsonException)
            {
                cursor = null;
                update = StatusUpdate.Failed(Describe(ex));
            }

            if (update is not null)
            {
                yield return update;
            }

            try
            {
                await Task.Delay(interval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    private string Describe(Exception ex) => ex switch
    {
        HttpRequestException { StatusCode: null } e => $"cannot reach the gateway at {http.BaseAddress} ({e.Message})",
        OperationCanceledException => $"the gateway at {http.BaseAddress} did not answer within {requestTimeout.TotalSeconds:0} s",
        _ => $"the gateway at {http.BaseAddress}: {ex.Message}",
    };

    private async Task<T> GetAsync<T>(string path, CancellationToken ct) =>
        JsonSerializer.Deserialize<T>(await GatewayRequests.GetAsync(http, path, ct))
        ?? throw new JsonException($"{path} answered null");
}
