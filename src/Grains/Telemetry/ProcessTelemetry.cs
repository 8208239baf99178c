using System.Diagnostics;
using System.Globalization;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Grains.Logs.Detection;
using Brummer.Grains.Processes;
using Brummer.Telemetry;
using static Brummer.Telemetry.BrummerTelemetry;

namespace Brummer.Grains.Telemetry;

/// <summary>
/// What one process tells OpenTelemetry: a <c>process.run</c> span per run (a child of the call that started it, so
/// an agent's MCP call and the start it caused are one trace; a restart by policy starts a new trace linked to the run
/// before), its metrics, and its output as logs carrying the run's trace. The supervisor says what happened; this
/// decides how it is told.
/// </summary>
public sealed class ProcessTelemetry
{
    private readonly NodeMetrics? _metrics;
    private readonly string _node;
    private ActivityContext _previousRun;

    public ProcessTelemetry(string node, string script, ProcessOutput output, NodeMetrics? metrics, ScriptLogExporter? exporter)
    {
        ArgumentNullException.ThrowIfNull(output);
        _node = node;
        Script = script;
        _metrics = metrics;
        Export = exporter?.For(script, output.Log);
        output.ExportTo(Export);
        output.Analyzer.BlockRecognised += ErrorRecognised;
        output.Analyzer.BlockClosed += ErrorBlockEnded;
    }

    public string Script { get; }

    /// <summary>Where the output goes as logs; null when it is not exported.</summary>
    public ScriptOutputExport? Export { get; }

    private Activity? _current;

    /// <summary>
    /// A run begins. <paramref name="parent"/> is the context of the request that asked for it (none for a restart by
    /// policy). The span is not made current: it lasts as long as the process, and the caller's work is not part of it.
    /// </summary>
    /// <returns>The run's span, and the start's (end it once the OS process exists or could not be started).</returns>
    public (Activity? Run, Activity? Start) RunStarting(ScriptDefinition script, string trigger, int restarts, ActivityContext parent)
    {
        ArgumentNullException.ThrowIfNull(script);
        _metrics?.Started(Script, trigger);
        var links = _previousRun != default && parent == default ? new[] { new ActivityLink(_previousRun) } : null;
        var caller = Activity.Current;
        var tags = Tags(trigger, restarts, script);
        var run = Source.StartActivity(Spans.ProcessRun, ActivityKind.Internal, parent, tags, links);
        var start = Source.StartActivity(Spans.ProcessStart, ActivityKind.Internal, parent == default ? run?.Context ?? default : parent, tags);
        Activity.Current = caller;
        if (run is not null)
        {
            _previousRun = run.Context;
        }

        Volatile.Write(ref _current, run);
        Export?.RunIs(run);
        return (run, start);
    }

    public static void Started(Activity? run, Activity? start, int pid, bool ready)
    {
        run?.SetTag(Attributes.Pid, pid);
        start?.SetTag(Attributes.Pid, pid);
        StopAside(start);
        if (ready)
        {
            run?.AddEvent(new ActivityEvent(Events.Ready));
        }
    }

    /// <summary>A restart asked for (by MCP, the API, a reload), as opposed to one by policy.</summary>
    public void RestartRequested() => _metrics?.RestartRequested(Script);

    public void HealthChanged(Activity? run, ProcessHealth health)
    {
        _metrics?.HealthChanged(Script, health);
        run?.AddEvent(new ActivityEvent(health == ProcessHealth.Ready ? Events.Ready : Events.Health, tags: new ActivityTagsCollection { [Attributes.Health] = health.ToWireName() }));
    }

    public static void RestartScheduled(Activity? run, TimeSpan delay) =>
        run?.AddEvent(new ActivityEvent(Events.Restart, tags: new ActivityTagsCollection { [Attributes.RestartDelay] = (long)delay.TotalMilliseconds }));

    /// <summary>The run is over: its outcome counted, its span ended (an error status unless it succeeded or was stopped).</summary>
    public void RunEnded(Activity? run, string outcome, int? exitCode, TimeSpan duration, string? reason, Activity? start = null)
    {
        if (start is not null)
        {
            start.SetStatus(ActivityStatusCode.Error, reason);
            StopAside(start);
        }

        _metrics?.Ended(Script, outcome, exitCode, duration);
        if (Interlocked.CompareExchange(ref _current, null, run) == run)
        {
            Export?.RunIs(null);
        }

        if (run is null)
        {
            return;
        }

        run.SetTag(Attributes.Outcome, outcome);
        if (exitCode is { } code)
        {
            run.SetTag(Attributes.ExitCode, code);
        }

        if (outcome is Outcomes.Failed or Outcomes.NotStarted)
        {
            run.SetStatus(ActivityStatusCode.Error, reason ?? (exitCode is { } failed ? string.Create(CultureInfo.InvariantCulture, $"exit code {failed}") : outcome));
        }

        StopAside(run);
    }

    /// <summary>
    /// Runs <paramref name="work"/> outside any trace: what a run starts for itself (its probes, the watch for its exit,
    /// a restart's wait) lasts as long as the process, and must not join the trace of the call that started it (an
    /// agent's MCP call would collect a probe request per period) nor the run's own.
    /// </summary>
    public static T Untraced<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var current = Activity.Current;
        Activity.Current = null;
        try
        {
            return work();
        }
        finally
        {
            Activity.Current = current;
        }
    }

    /// <summary>Ends a span without making its parent the current one (Activity.Stop would): the caller's trace stays the caller's.</summary>
    private static void StopAside(Activity? span)
    {
        if (span is null)
        {
            return;
        }

        var current = Activity.Current;
        span.Stop();
        Activity.Current = current;
    }

    /// <summary>A span around a stop asked for, a child of the caller's (the grain call, and above it the agent's).</summary>
    public Activity? StopStarting()
    {
        var stop = Source.StartActivity(Spans.ProcessStop, ActivityKind.Internal);
        stop?.SetTag(Attributes.Node, _node);
        stop?.SetTag(Attributes.Script, Script);
        return stop;
    }

    /// <summary>Counted and marked on the run when recognised; a server that stays quiet after its stack trace still shows it.</summary>
    private void ErrorRecognised(string kind, Logs.Detection.LogLineView first)
    {
        _metrics?.ErrorDetected(Script, kind);
        Volatile.Read(ref _current)?.AddEvent(new ActivityEvent(Events.ErrorDetected, first.Time, new ActivityTagsCollection
        {
            [Attributes.ErrorKind] = kind,
            [Attributes.ErrorTitle] = first.Text,
        }));
    }

    /// <summary>Exported as one ERROR record once the block is whole (the next unrelated line, or the end of the run).</summary>
    private void ErrorBlockEnded(ErrorGroup error) => Export?.Error(error);

    private List<KeyValuePair<string, object?>> Tags(string trigger, int restarts, ScriptDefinition script) =>
    [
        new(Attributes.Node, _node),
        new(Attributes.Script, Script),
        new(Attributes.Trigger, trigger),
        new(Attributes.Restarts, restarts),
        new(Attributes.Command, script.Executable),
    ];
}
