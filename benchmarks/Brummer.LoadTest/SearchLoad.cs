using System.Diagnostics;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Brummer.LoadTest;

/// <summary>
/// MCP clients each looping one logs_search without pause (next call as soon as the previous answers), switched on and
/// off. Switching off stops issuing new searches and waits for those in flight: the node has started them and runs
/// each to its budget whether the caller waits or not, so until they are done the gateway and the node are not idle.
/// </summary>
internal sealed class SearchLoad(IReadOnlyList<McpClient> clients, string pattern) : IAsyncDisposable
{
    private readonly Dictionary<string, object?> _arguments = new(StringComparer.Ordinal) { ["query"] = pattern, ["regex"] = true };
    private readonly Lock _gate = new();
    private readonly List<long> _latencies = [];
    private readonly List<string> _errorSamples = [];
    private CancellationTokenSource? _stop;
    private TaskCompletionSource _firstAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task[] _loops = [];
    private bool _recording;
    private long _answered;
    private long _truncated;
    private long _unreachable;
    private long _errors;

    public int Clients => clients.Count;

    public void Start(CancellationToken cancellationToken)
    {
        if (_stop is not null)
        {
            return;
        }

        _stop = new CancellationTokenSource();
        _firstAnswer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stop = _stop.Token;
        _loops = [.. clients.Select(client => Task.Run(() => LoopAsync(client, stop, cancellationToken), CancellationToken.None))];
    }

    /// <summary>Completes once a search started by the last <see cref="Start"/> has answered: the searches are flowing.</summary>
    public Task FirstAnswerAsync(TimeSpan timeout, CancellationToken cancellationToken) => _firstAnswer.Task.WaitAsync(timeout, cancellationToken);

    /// <summary>Stops issuing searches; returns once every search in flight has answered, with the time that took.</summary>
    public async Task<TimeSpan> StopAsync()
    {
        if (_stop is null)
        {
            return TimeSpan.Zero;
        }

        var started = Stopwatch.GetTimestamp();
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
        _stop = null;
        _loops = [];
        return Stopwatch.GetElapsedTime(started);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Counts the searches that answer while on; counts add up over every recorded stretch until <see cref="Take"/>.</summary>
    public void Record(bool on)
    {
        lock (_gate)
        {
            _recording = on;
        }
    }

    /// <summary>What was recorded since the last call, over <paramref name="window"/> of recording.</summary>
    public SearchCounters Take(TimeSpan window)
    {
        lock (_gate)
        {
            var counters = new SearchCounters(
                window, _answered, _truncated, _unreachable, _errors, LatencySummary.FromTicks([.. _latencies]), [.. _errorSamples]);
            (_answered, _truncated, _unreachable, _errors) = (0, 0, 0, 0);
            _latencies.Clear();
            _errorSamples.Clear();
            return counters;
        }
    }

    private async Task LoopAsync(McpClient client, CancellationToken stop, CancellationToken cancellationToken)
    {
        while (!stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            string? error = null;
            var (truncated, unreachable) = (false, false);
            try
            {
                // Not cancelled by a switch-off: the node would run the search to its budget anyway.
                var result = await client.CallToolAsync("logs_search", _arguments, cancellationToken: cancellationToken);
                if (result.IsError is true)
                {
                    error = "IsError: " + string.Join(" ", result.Content.OfType<TextContentBlock>().Select(c => c.Text));
                }
                else if (result.StructuredContent is { } structured)
                {
                    truncated = structured.GetProperty("truncated").GetBoolean();
                    unreachable = structured.GetProperty("unreachable_nodes").GetArrayLength() > 0;
                }
                else
                {
                    error = "no structured content";
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException or JsonException or KeyNotFoundException or McpException)
            {
                error = $"{ex.GetType().Name}: {ex.Message}";
            }

            var ticks = Stopwatch.GetTimestamp() - started;
            _firstAnswer.TrySetResult();
            lock (_gate)
            {
                if (!_recording)
                {
                    continue;
                }

                _answered++;
                _latencies.Add(ticks);
                _truncated += truncated ? 1 : 0;
                _unreachable += unreachable ? 1 : 0;
                if (error is not null)
                {
                    _errors++;
                    if (_errorSamples.Count < 5)
                    {
                        _errorSamples.Add(error);
                    }
                }
            }
        }
    }
}

/// <summary>
/// Searches that answered while recorded: how many, how long each took, how many the node cut short at its budget
/// (<c>truncated</c>), how many came back with the node in <c>unreachable_nodes</c>, and how many failed.
/// </summary>
internal sealed record SearchCounters(
    TimeSpan Window, long Answered, long Truncated, long Unreachable, long Errors, LatencySummary Latency, IReadOnlyList<string> ErrorSamples)
{
    public double PerSecond => Window > TimeSpan.Zero ? Answered / Window.TotalSeconds : 0;
}
