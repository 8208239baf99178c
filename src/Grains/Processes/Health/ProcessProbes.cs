using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Processes.Health;

/// <summary>The process's health changed, as status shows it.</summary>
/// <param name="Reason">The check outcome that changed it, e.g. <c>GET http://127.0.0.1:3000/ answered 503</c>.</param>
/// <param name="LivenessFailed">The liveness probe has just failed past its threshold: restart the process if its policy allows.</param>
public sealed record HealthReport(ProcessHealth Health, string Reason, bool LivenessFailed, DateTimeOffset At);

/// <summary>
/// The readiness and liveness probes of one process definition. Made once per definition (log patterns are compiled
/// here, once); <see cref="Start"/> makes the probes of one run.
/// </summary>
public sealed class ProcessProbes
{
    private readonly ScriptDefinition _script;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly Func<IProbeCheck>? _readiness;
    private readonly Func<IProbeCheck>? _liveness;

    /// <param name="watchdog">The node's watchdog, so an exec probe running when the node is killed does not outlive it.</param>
    /// <exception cref="ArgumentException">A log probe's pattern is not a valid regular expression.</exception>
    public ProcessProbes(ScriptDefinition script, TimeProvider time, ILogger? logger = null, ProcessWatchdog? watchdog = null)
    {
        _script = script;
        _time = time;
        _logger = logger;
        _readiness = Prepare(script.Readiness, script, watchdog);
        _liveness = Prepare(script.Liveness, script, watchdog);
    }

    /// <summary>Health when a run starts: <see cref="ProcessHealth.Starting"/> with a readiness probe, else <see cref="ProcessHealth.None"/>.</summary>
    public ProcessHealth InitialHealth => _readiness is null ? ProcessHealth.None : ProcessHealth.Starting;

    /// <summary>Starts the probes of a run that has just started; dispose the result when the run ends or is stopped.</summary>
    /// <param name="onChange">Called on a pool thread, one call at a time, whenever health changes or liveness fails; never after disposal.</param>
    public ProbeRun Start(Action<HealthReport> onChange)
    {
        var run = Prepare(onChange);
        run.Start();
        return run;
    }

    /// <summary>
    /// The probes of a run about to start, not checking yet: feed them the run's output from its first line
    /// (<see cref="ProbeRun.Observe"/>), then <see cref="ProbeRun.Start"/> them once the process exists. A log probe
    /// then sees a line printed before its checks began, however soon the process printed it.
    /// </summary>
    public ProbeRun Prepare(Action<HealthReport> onChange)
    {
        var run = new ProbeRun(InitialHealth, onChange);
        run.Attach(
            _readiness is null ? null : new ProbeLoop(ProbeKind.Readiness, _script.Readiness!, _readiness(), _time, run.OnVerdict, _logger),
            _liveness is null ? null : new ProbeLoop(ProbeKind.Liveness, _script.Liveness!, _liveness(), _time, run.OnVerdict, _logger));
        return run;
    }

    private static Func<IProbeCheck>? Prepare(ProbeDefinition? probe, ScriptDefinition script, ProcessWatchdog? watchdog)
    {
        switch (probe?.Check)
        {
            case null:
                return null;
            case LogCheck log:
                // A log check holds what this run printed: a new one per run, the compiled pattern shared.
                var pattern = LogProbeCheck.Compile(log.Pattern);
                return () => new LogProbeCheck(pattern);
            case var other:
                var check = ProbeChecks.Create(other, script, watchdog); // stateless: one for every run
                return () => check;
        }
    }
}

/// <summary>The probes of one run of a process: feed it the run's output lines, read its health, dispose it when the run ends.</summary>
public sealed class ProbeRun : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Action<HealthReport> _onChange;
    private ProbeLoop? _readiness;
    private ProbeLoop? _liveness;
    private LogProbeCheck[] _logChecks = [];
    private ProcessHealth _readinessHealth;
    private bool _livenessFailing;
    private bool _livenessStarted;
    private bool _disposed;
    private int _health;

    internal ProbeRun(ProcessHealth initial, Action<HealthReport> onChange)
    {
        _onChange = onChange;
        _readinessHealth = initial;
        _health = (int)initial;
    }

    /// <summary>What status should show now.</summary>
    public ProcessHealth Health => (ProcessHealth)Volatile.Read(ref _health);

    /// <summary>The latest readiness check's outcome (null before the first, or without a readiness probe): why it is still starting.</summary>
    public ProbeOutcome? LastReadiness => _readiness?.LastOutcome;

    internal void Attach(ProbeLoop? readiness, ProbeLoop? liveness)
    {
        _readiness = readiness;
        _liveness = liveness;
        _logChecks = [.. new[] { readiness, liveness }.Select(Check).OfType<LogProbeCheck>()];

        static IProbeCheck? Check(ProbeLoop? loop) => loop?.Check;
    }

    /// <summary>
    /// Begins checking (once; <see cref="ProcessProbes.Prepare"/> made it). With a readiness probe, liveness checks
    /// begin once the run is first ready: a process still starting up (a cold JIT, a busy machine) is not "hung", and
    /// counting its first failures would kill every slow start and restart it in a loop.
    /// </summary>
    public void Start()
    {
        _readiness?.Start();
        if (_readiness is null)
        {
            StartLiveness();
        }
    }

    private void StartLiveness()
    {
        lock (_gate)
        {
            if (_liveness is null || _livenessStarted || _disposed)
            {
                return;
            }

            _livenessStarted = true;
            _liveness.Start();
        }
    }

    /// <summary>One line the process printed (without colour codes); costs nothing without a log probe. Any thread.</summary>
    public void Observe(ReadOnlySpan<char> line)
    {
        foreach (var check in _logChecks)
        {
            check.Observe(line);
        }
    }

    internal void OnVerdict(ProbeVerdict verdict)
    {
        lock (_gate)
        {
            if (verdict.Kind == ProbeKind.Readiness)
            {
                _readinessHealth = verdict.Passing ? ProcessHealth.Ready : ProcessHealth.Unhealthy;
                if (verdict.Passing)
                {
                    StartLiveness();
                }
            }
            else
            {
                _livenessFailing = !verdict.Passing;
            }

            var health = _livenessFailing ? ProcessHealth.Unhealthy : _readinessHealth;
            var livenessFailed = verdict.Kind == ProbeKind.Liveness && !verdict.Passing;
            if ((int)health == _health && !livenessFailed)
            {
                return;
            }

            Volatile.Write(ref _health, (int)health);
            // Under the lock: two probes changing at once must reach status in the order they were decided.
            _onChange(new HealthReport(health, verdict.Reason, livenessFailed, verdict.At));
        }
    }

    /// <summary>Stops both probes (an exec check under way is killed) and returns once no report can follow.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposed = true; // a readiness verdict under way must not start liveness now
        }

        var readiness = _readiness?.DisposeAsync() ?? ValueTask.CompletedTask;
        var liveness = _liveness?.DisposeAsync() ?? ValueTask.CompletedTask;
        await readiness.ConfigureAwait(false);
        await liveness.ConfigureAwait(false);
    }
}
