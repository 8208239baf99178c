using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Brummer.LoadTest;

/// <summary>
/// Keeps the 100 scripts changing through the JSON API at a steady rate: short scripts are run (they exit on their own
/// soon after), long ones are stopped, restarted or run again. The mix of every 12 actions is 5 short runs on node b
/// (the exits the staleness figure is taken from), 2 short runs on node a, and 5 long-script toggles over both nodes.
/// </summary>
internal sealed class Churn(HttpClient http, Uri gateway, IReadOnlyList<ScriptSpec> scripts, double actionsPerSecond, int maxInFlight)
{
    private static readonly char[] Pattern = ['B', 'L', 'B', 'A', 'L', 'B', 'L', 'B', 'A', 'L', 'B', 'L'];

    private readonly ScriptSpec[] _shortA = [.. scripts.Where(s => s.Short && s.Node == "a")];
    private readonly ScriptSpec[] _shortB = [.. scripts.Where(s => s.Short && s.Node == "b")];
    private readonly ScriptSpec[] _long = Interleave(scripts.Where(s => !s.Short));
    private readonly Dictionary<ScriptSpec, bool> _running = [];
    private readonly Dictionary<ScriptSpec, int> _toggles = [];
    private readonly Lock _gate = new();
    private readonly List<LatencyLog> _latencies = [];
    private readonly List<string> _errorSamples = [];
    private int _inFlight;
    private long _runs;
    private long _stops;
    private long _restarts;
    private long _shortRuns;
    private long _shortRunsB;
    private long _errors;
    private long _skipped;
    private long _stateChanges;
    private bool _recording;
    private bool _enabled = true;

    /// <summary>Control calls issued (short runs included) and their outcome, counted while recording.</summary>
    public ChurnCounters Counters
    {
        get
        {
            lock (_gate)
            {
                return new ChurnCounters(_runs, _stops, _restarts, _shortRuns, _shortRunsB, _errors, _skipped, _stateChanges, LatencySummary.From(_latencies), [.. _errorSamples]);
            }
        }
    }

    /// <summary>Marks the long scripts the prime step started as running.</summary>
    public void AssumeRunning()
    {
        foreach (var script in _long)
        {
            _running[script] = true;
        }
    }

    /// <summary>While false, ticks pass without a call (the idle segments of an alternating run).</summary>
    public bool Enabled
    {
        get => Volatile.Read(ref _enabled);
        set => Volatile.Write(ref _enabled, value);
    }

    /// <summary>Counts calls, state changes and errors only while on; counts add up over every recorded stretch.</summary>
    public void Record(bool on)
    {
        lock (_gate)
        {
            _recording = on;
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var interval = Stopwatch.Frequency / actionsPerSecond;
        var next = (double)Stopwatch.GetTimestamp();
        var (tick, nextA, nextB, nextLong) = (0, 0, 0, 0);
        var pending = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                next += interval;
                var wait = (long)next - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken);
                }

                if (!Enabled)
                {
                    continue;
                }

                if (Volatile.Read(ref _inFlight) >= maxInFlight)
                {
                    Count(ref _skipped, 1);
                    continue;
                }

                var kind = Pattern[tick++ % Pattern.Length];
                var action = kind switch
                {
                    'B' => ShortRunAsync(_shortB[nextB++ % _shortB.Length], cancellationToken),
                    'A' => ShortRunAsync(_shortA[nextA++ % _shortA.Length], cancellationToken),
                    _ => ToggleAsync(_long[nextLong++ % _long.Length], cancellationToken),
                };
                pending.Add(action);
                pending.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    private async Task ShortRunAsync(ScriptSpec script, CancellationToken cancellationToken)
    {
        // starting, running, then succeeded when it exits on its own.
        if (await CallAsync(script, "run", cancellationToken) is not null)
        {
            Count(ref _shortRuns, 1, stateChanges: 3);
            if (script.Node == "b")
            {
                Count(ref _shortRunsB, 1);
            }
        }
    }

    private async Task ToggleAsync(ScriptSpec script, CancellationToken cancellationToken)
    {
        bool running;
        var turns = 0;
        lock (_gate)
        {
            running = _running.GetValueOrDefault(script);
            if (running)
            {
                turns = _toggles[script] = _toggles.GetValueOrDefault(script) + 1;
            }
        }

        // Each time it is found running, a script is stopped or restarted in turn; a stopped one is run again.
        var action = !running ? "run" : turns % 2 == 0 ? "restart" : "stop";
        if (await CallAsync(script, action, cancellationToken) is not { } process)
        {
            return;
        }

        lock (_gate)
        {
            _running[script] = process.GetProperty("status").GetString() is "running" or "starting";
        }

        switch (action)
        {
            case "run":
                Count(ref _runs, 1, stateChanges: 2); // starting, running
                break;
            case "stop":
                Count(ref _stops, 1, stateChanges: 2); // stopping, stopped
                break;
            default:
                Count(ref _restarts, 1, stateChanges: 4); // stopping, stopped, starting, running
                break;
        }
    }

    /// <summary>POST /api/processes/{node}/{name}/{action}; the process it answers, or null on an error (counted).</summary>
    private async Task<JsonElement?> CallAsync(ScriptSpec script, string action, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _inFlight);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.PostAsync(new Uri(gateway, $"/api/processes/{script.Node}/{script.Name}/{action}"), null, cancellationToken);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                Error($"{action} {script.Node}/{script.Name}: HTTP {(int)response.StatusCode} {body}");
                return null;
            }

            var elapsed = Stopwatch.GetTimestamp() - started;
            lock (_gate)
            {
                if (_recording)
                {
                    if (_latencies.Count == 0)
                    {
                        _latencies.Add(new LatencyLog());
                    }

                    _latencies[0].Add(elapsed);
                }
            }

            return body.GetProperty("process");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException or KeyNotFoundException)
        {
            Error($"{action} {script.Node}/{script.Name}: {ex.GetType().Name}: {ex.Message}");
            return null;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private void Error(string message)
    {
        lock (_gate)
        {
            if (_recording)
            {
                _errors++;
                if (_errorSamples.Count < 5)
                {
                    _errorSamples.Add(message);
                }
            }
        }
    }

    private void Count(ref long counter, long amount, long stateChanges = 0)
    {
        lock (_gate)
        {
            if (_recording)
            {
                counter += amount;
                _stateChanges += stateChanges;
            }
        }
    }

    /// <summary>a/long-00, b/long-00, a/long-01, ...: consecutive toggles alternate between the nodes.</summary>
    private static ScriptSpec[] Interleave(IEnumerable<ScriptSpec> scripts) =>
        [.. scripts.Select((s, i) => (s, i)).OrderBy(x => x.s.Name, StringComparer.Ordinal).ThenBy(x => x.s.Node, StringComparer.Ordinal).Select(x => x.s)];
}

internal sealed record ChurnCounters(
    long Runs, long Stops, long Restarts, long ShortRuns, long ShortRunsB, long Errors, long Skipped, long StateChanges,
    LatencySummary ControlLatency, IReadOnlyList<string> ErrorSamples)
{
    public long Actions => Runs + Stops + Restarts + ShortRuns;
}
