using System.Diagnostics;
using System.Diagnostics.Metrics;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Logs;
using Brummer.Grains.Processes;
using Brummer.Telemetry;
using static Brummer.Telemetry.BrummerTelemetry;

namespace Brummer.Grains.Telemetry;

/// <summary>
/// The node's metrics of its processes. Events that are rare (a start, an exit, a detected error) are counted as they
/// happen; what grows per output line (lines, bytes, truncations, evictions) is counted where it is captured anyway
/// and only read here, at collection time, so a flood of output pays nothing for being measured.
/// </summary>
public sealed class NodeMetrics
{
    private static readonly LogSource[] Streams = [LogSource.Stdout, LogSource.Stderr];

    private readonly Counter<long> _starts;
    private readonly Counter<long> _exits;
    private readonly Counter<long> _restarts;
    private readonly Counter<long> _healthTransitions;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _duration;
    private readonly Meter _meter;
    private readonly string _node;
    private NodeProcesses? _processes;

    public NodeMetrics(IMeterFactory meters, string node)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _node = node;
        _meter = meters.Create(Name);
        _starts = _meter.CreateCounter(Node.Starts);
        _exits = _meter.CreateCounter(Node.Exits);
        _restarts = _meter.CreateCounter(Node.Restarts);
        _healthTransitions = _meter.CreateCounter(Node.HealthTransitions);
        _errors = _meter.CreateCounter(Node.Errors);
        // Runs last from a second (a task) to a day (a dev server): buckets to match, not the SDK's millisecond ones.
        _duration = _meter.CreateHistogram(Node.Duration, [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 14400, 86400]);

        _meter.CreateObservableGauge(Node.Processes.Name, ObserveStates, Node.Processes.Unit, Node.Processes.Description);
        _meter.CreateObservableCounter(Node.LogLines.Name, () => ObservePerStream(static (o, s) => o.Lines(s)), Node.LogLines.Unit, Node.LogLines.Description);
        _meter.CreateObservableCounter(Node.LogBytes.Name, () => ObservePerStream(static (o, s) => o.Bytes(s)), Node.LogBytes.Unit, Node.LogBytes.Description);
        _meter.CreateObservableCounter(Node.LogTruncated.Name, () => ObservePerScript(static o => o.Truncated), Node.LogTruncated.Unit, Node.LogTruncated.Description);
        _meter.CreateObservableCounter(Node.LogEvicted.Name, () => ObservePerScript(static o => o.Log.FirstSequence - 1), Node.LogEvicted.Unit, Node.LogEvicted.Description);
        _meter.CreateObservableGauge(
            Node.CaptureBacklog.Name,
            () => new Measurement<long>(OutputScheduler.Shared.Backlog, new KeyValuePair<string, object?>(Attributes.Node, node)),
            Node.CaptureBacklog.Unit,
            Node.CaptureBacklog.Description);
    }

    /// <summary>The meter the log exporter adds its own instruments to.</summary>
    internal Meter Meter => _meter;

    /// <summary>Where the observed instruments read from; set once the node's processes exist.</summary>
    internal void Observe(NodeProcesses processes) => Volatile.Write(ref _processes, processes);

    public void Started(string script, string trigger)
    {
        _starts.Add(1, Tag(Attributes.Node, _node), Tag(Attributes.Script, script), Tag(Attributes.Trigger, trigger));
        if (trigger is Triggers.Restart or Triggers.Reload)
        {
            _restarts.Add(1, Tag(Attributes.Node, _node), Tag(Attributes.Script, script), Tag(Attributes.Trigger, trigger));
        }
    }

    /// <summary>A restart asked for (not by policy): counted as a restart, and its start as a request.</summary>
    public void RestartRequested(string script) =>
        _restarts.Add(1, Tag(Attributes.Node, _node), Tag(Attributes.Script, script), Tag(Attributes.Trigger, Triggers.Request));

    public void Ended(string script, string outcome, int? exitCode, TimeSpan duration)
    {
        var tags = new TagList
        {
            { Attributes.Node, _node },
            { Attributes.Script, script },
            { Attributes.Outcome, outcome },
        };
        if (exitCode is { } code)
        {
            tags.Add(Attributes.ExitCode, code);
        }

        _exits.Add(1, tags);
        if (duration > TimeSpan.Zero)
        {
            _duration.Record(duration.TotalSeconds, Tag(Attributes.Node, _node), Tag(Attributes.Script, script), Tag(Attributes.Outcome, outcome));
        }
    }

    public void HealthChanged(string script, ProcessHealth health) =>
        _healthTransitions.Add(1, Tag(Attributes.Node, _node), Tag(Attributes.Script, script), Tag(Attributes.Health, health.ToWireName()));

    public void ErrorDetected(string script, string kind) =>
        _errors.Add(1, Tag(Attributes.Node, _node), Tag(Attributes.Script, script), Tag(Attributes.ErrorKind, kind));

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    /// <summary>Every defined script in the state it is in; one never run is "idle", so a dashboard counts all of them.</summary>
    private IEnumerable<Measurement<int>> ObserveStates()
    {
        if (Volatile.Read(ref _processes)?.Table.Snapshot is not { } snapshot)
        {
            yield break;
        }

        foreach (var script in snapshot.Scripts)
        {
            var state = snapshot.Processes.FirstOrDefault(p => p.Name == script.Name)?.Status.ToWireName() ?? "idle";
            yield return new Measurement<int>(1, Tag(Attributes.Node, _node), Tag(Attributes.Script, script.Name), Tag(Attributes.State, state));
        }
    }

    private IEnumerable<Measurement<long>> ObservePerStream(Func<ProcessOutput, LogSource, long> read)
    {
        foreach (var supervisor in Volatile.Read(ref _processes)?.All ?? [])
        {
            foreach (var stream in Streams)
            {
                yield return new Measurement<long>(read(supervisor.Output, stream), Tag(Attributes.Node, _node), Tag(Attributes.Script, supervisor.Name), Tag(Attributes.Stream, stream.ToWireName()));
            }
        }
    }

    private IEnumerable<Measurement<long>> ObservePerScript(Func<ProcessOutput, long> read)
    {
        foreach (var supervisor in Volatile.Read(ref _processes)?.All ?? [])
        {
            yield return new Measurement<long>(read(supervisor.Output), Tag(Attributes.Node, _node), Tag(Attributes.Script, supervisor.Name));
        }
    }
}
