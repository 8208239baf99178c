using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace Brummer.LoadTest;

/// <summary>
/// Staleness of the gateway's view: for each exit of a short script on the watched node, the time from the
/// <c>exited_at</c> the node stamped to its visibility at the gateway. Everything runs on this machine, so node,
/// gateway and tool share one clock. Three instants are kept per exit, each the earliest over every answer (any
/// client) that shows it: the answer's <c>as_of</c> (when the gateway built the view it answered from: the
/// gateway-side visibility, free of HTTP and client queueing), the request's start and the response's receipt
/// (what a client under this load experiences; the view changed somewhere between the two).
/// </summary>
internal sealed class StalenessTracker(string node, string prefix)
{
    private readonly ConcurrentDictionary<(string Name, DateTime ExitedAt), Sighting> _sightings = new();
    private (long Start, long End)[] _windows = [];

    /// <summary>Only exits stamped inside a window [start, end) count: those of the churn's measured stretches.</summary>
    public void AddWindow(DateTime start, DateTime end)
    {
        lock (_sightings)
        {
            Volatile.Write(ref _windows, [.. Volatile.Read(ref _windows), (start.Ticks, end.Ticks)]);
        }
    }

    /// <summary>Looks at one answer; <paramref name="lastSeen"/> is the calling client's own memory, so unchanged exits cost nothing shared.</summary>
    public void Observe(JsonElement structured, DateTime sentUtc, DateTime receivedUtc, Dictionary<string, DateTime> lastSeen)
    {
        if (!structured.TryGetProperty("processes", out var processes))
        {
            return;
        }

        var asOf = structured.TryGetProperty("as_of", out var asOfElement) && asOfElement.TryGetDateTime(out var parsed)
            ? DateTime.SpecifyKind(parsed.ToUniversalTime(), DateTimeKind.Utc)
            : receivedUtc;
        var windows = Volatile.Read(ref _windows);
        foreach (var process in processes.EnumerateArray())
        {
            if (!process.GetProperty("node").ValueEquals(node) ||
                process.GetProperty("exited_at") is not { ValueKind: JsonValueKind.String } exited ||
                !exited.TryGetDateTime(out var exitedAt))
            {
                continue;
            }

            var name = process.GetProperty("name").GetString()!;
            if (!name.StartsWith(prefix, StringComparison.Ordinal) ||
                (lastSeen.TryGetValue(name, out var known) && known == exitedAt))
            {
                continue;
            }

            lastSeen[name] = exitedAt;
            exitedAt = DateTime.SpecifyKind(exitedAt.ToUniversalTime(), DateTimeKind.Utc);
            if (!Array.Exists(windows, w => exitedAt.Ticks >= w.Start && exitedAt.Ticks < w.End))
            {
                continue;
            }

            var scriptEnd = ScriptEnd(process);
            _sightings.AddOrUpdate(
                (name, exitedAt),
                _ => new Sighting(asOf, sentUtc, receivedUtc, scriptEnd),
                (_, seen) => new Sighting(Min(seen.AsOf, asOf), Min(seen.Sent, sentUtc), Min(seen.Received, receivedUtc), seen.ScriptEnd ?? scriptEnd));
        }
    }

    public StalenessResult Result()
    {
        var view = new List<double>();
        var received = new List<double>();
        var sent = new List<double>();
        var noticed = new List<double>();
        var endToVisible = new List<double>();
        foreach (var ((_, exitedAt), sighting) in _sightings)
        {
            view.Add((sighting.AsOf - exitedAt).TotalMilliseconds);
            received.Add((sighting.Received - exitedAt).TotalMilliseconds);
            sent.Add((sighting.Sent - exitedAt).TotalMilliseconds);
            if (sighting.ScriptEnd is { } end)
            {
                noticed.Add((exitedAt - end).TotalMilliseconds);
                endToVisible.Add((sighting.Received - end).TotalMilliseconds);
            }
        }

        return new StalenessResult(
            LatencySummary.FromMilliseconds(view),
            LatencySummary.FromMilliseconds(received),
            LatencySummary.FromMilliseconds(sent),
            LatencySummary.FromMilliseconds(noticed),
            LatencySummary.FromMilliseconds(endToVisible));
    }

    /// <summary>The script's last line is date +%s%N, printed just before it exits: its own end, in ns since the epoch.</summary>
    private static DateTime? ScriptEnd(JsonElement process) =>
        process.GetProperty("last_line") is { ValueKind: JsonValueKind.String } line &&
        long.TryParse(line.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ns)
            ? DateTime.UnixEpoch.AddTicks(ns / 100)
            : null;

    private static DateTime Min(DateTime a, DateTime b) => a <= b ? a : b;

    private sealed record Sighting(DateTime AsOf, DateTime Sent, DateTime Received, DateTime? ScriptEnd);
}

/// <param name="ExitToView">exited_at (node) → as_of of the first gateway view seen to hold it: the staleness at the gateway.</param>
/// <param name="ExitToVisible">exited_at → receipt of the first answer showing it: as a client under this load sees it.</param>
/// <param name="ExitToRequest">exited_at → start of that answer's request (lower bound, up to one call latency less).</param>
/// <param name="ScriptEndToExitedAt">the script's own last instant → exited_at: how long the node took to notice.</param>
/// <param name="ScriptEndToVisible">the script's own last instant → visible at the gateway.</param>
internal sealed record StalenessResult(
    LatencySummary ExitToView,
    LatencySummary ExitToVisible,
    LatencySummary ExitToRequest,
    LatencySummary ScriptEndToExitedAt,
    LatencySummary ScriptEndToVisible);
